import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow_fixtures import *  # noqa: F403  (mlflow_uri, mlflow_server)

pytest_plugins = ["polymath.foundation.testing"]

EXAMPLE_PACKAGE = Path(__file__).parent / "example_package"


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example package installed (not editable) into a folder put on sys.path."""
    site = tmp_path_factory.mktemp("example_site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(EXAMPLE_PACKAGE),
        ],
        check=True,
    )
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    yield site
    sys.path.remove(str(site))
    importlib.invalidate_caches()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs the test in an empty working directory with no tracking server configured."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path
