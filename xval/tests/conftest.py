import pytest
import torch

pytest_plugins = ["polymath.foundation.testing"]

# The models under test are tiny: one thread avoids oversubscribing a shared 2-core machine.
torch.set_num_threads(1)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """An empty working directory with its own data cache (``tmp_path / "cache"``)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLYMATH_CACHE", str(tmp_path / "cache"))
    return tmp_path
