from pathlib import Path

import pytest

from polymath.foundation.cache import cache_dir, cache_root


def test_the_environment_variable_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("POLYMATH_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir("jets") == tmp_path / "c" / "jets"


def test_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("POLYMATH_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_root() == tmp_path / "polymath"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == Path(tmp_path / "home" / ".cache" / "polymath")


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "/abs"])
def test_a_name_is_one_folder(name):
    with pytest.raises(ValueError, match="one folder name"):
        cache_dir(name)
