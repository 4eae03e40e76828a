import shutil

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


def test_the_test_copy_leaves_out_the_package_code_but_not_example_packages(tmp_path):
    package = tmp_path / "pkg"
    for path in (
        "src/polymath/pkg/__init__.py",
        "tests/test_x.py",
        "dist/x.whl",
        "tests/example_package/src/polymath/example/__init__.py",
        "drills/drill.py",
        "tests/__pycache__/x.pyc",
    ):
        (package / path).parent.mkdir(parents=True, exist_ok=True)
        (package / path).write_text("")
    copy = tmp_path / "copy"
    shutil.copytree(package, copy, ignore=envs.test_copy_filter(package))
    copied = sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file())
    assert copied == [
        "drills/drill.py",
        "tests/example_package/src/polymath/example/__init__.py",
        "tests/test_x.py",
    ]
