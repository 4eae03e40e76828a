import os

import pytest
from polymath_meta import verify
from polymath_meta.workspace import MetaError


def test_a_failing_step_reports_its_own_output(tmp_path):
    log = tmp_path / "log.txt"
    env = dict(os.environ)
    verify.step(["sh", "-c", "echo installing lots"], tmp_path, env, "install", log)
    with pytest.raises(MetaError) as error:
        verify.step(["sh", "-c", "echo no module named x; exit 3"], tmp_path, env, "smoke", log)
    assert str(error.value) == "smoke failed (exit 3):\nno module named x"


def test_the_clean_environment_points_at_the_venv_and_a_throwaway_store(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    env = verify.clean_env(tmp_path / "venv", tmp_path)
    assert "PYTHONPATH" not in env
    assert env["PATH"].startswith(str(tmp_path / "venv" / "bin"))
    assert env["MLFLOW_TRACKING_URI"] == f"sqlite:///{tmp_path / 'mlflow.db'}"
