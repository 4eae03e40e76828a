"""lazy_attributes: a package's names import their submodule on first use, once."""

import sys

import pytest


def test_names_import_their_submodule_on_first_use_and_are_cached(tmp_path, monkeypatch):
    package = tmp_path / "lazypkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from polymath.foundation.lazy import lazy_attributes\n"
        "__getattr__ = lazy_attributes(__name__, {'Thing': 'heavy'})\n"
    )
    (package / "heavy.py").write_text("class Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazypkg

    assert "lazypkg.heavy" not in sys.modules
    thing = lazypkg.Thing
    assert "lazypkg.heavy" in sys.modules and thing.__name__ == "Thing"
    assert vars(lazypkg)["Thing"] is thing  # cached: __getattr__ is not called again
    with pytest.raises(AttributeError, match="'lazypkg' has no attribute 'Other'"):
        lazypkg.Other
    for name in ("lazypkg", "lazypkg.heavy"):
        sys.modules.pop(name, None)
