import pytest
from polymath_meta import envs
from polymath_meta.workspace import MetaError


def test_a_failing_command_reports_its_own_output(tmp_path):
    venv = envs.Venv(tmp_path)
    venv.run(["sh", "-c", "echo installing lots"], "install")
    with pytest.raises(MetaError) as error:
        venv.run(["sh", "-c", "echo no module named x; exit 3"], "smoke")
    assert str(error.value) == "smoke failed (exit 3):\nno module named x"


def test_the_environment_points_at_the_venv_and_a_throwaway_store(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    env = envs.Venv(tmp_path).env()
    assert "PYTHONPATH" not in env
    assert env["PATH"].startswith(str(tmp_path / "venv" / "bin"))
    assert env["MLFLOW_TRACKING_URI"] == f"sqlite:///{tmp_path / 'mlflow.db'}"
