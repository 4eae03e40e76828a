import pytest
import torch

# The models under test are tiny: one thread avoids oversubscribing a shared 2-core machine.
torch.set_num_threads(1)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path
