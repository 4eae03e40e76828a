"""MLflow stores for tests: a fresh SQLite store per test and a real server per session.

Creating a SQLite store runs MLflow's Alembic migrations (seconds), so the store is migrated
once per session and copied for each test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = [
    "MlflowServer",
    "free_port",
    "mlflow_server",
    "mlflow_server_process",
    "mlflow_template_db",
    "mlflow_uri",
]

SERVER_START_TIMEOUT_S = 90


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def mlflow_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite tracking database, created once per session."""
    from mlflow import MlflowClient

    database = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(f"sqlite:///{database}").search_experiments()
    return database


@pytest.fixture
def mlflow_uri(tmp_path: Path, mlflow_template_db: Path) -> str:
    """`sqlite:///<tmp>/mlflow.db`: a fresh store of this test (artifacts go to <tmp>/mlartifacts)."""
    database = tmp_path / "mlflow.db"
    shutil.copyfile(mlflow_template_db, database)
    return f"sqlite:///{database}"


class MlflowServer:
    """A real `mlflow server` on 127.0.0.1 over one SQLite store, which a test may stop and restart
    (on the same port, with the same store)."""

    def __init__(self, folder: Path, template_db: Path) -> None:
        self.folder = folder
        shutil.copyfile(template_db, folder / "mlflow.db")
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{self.folder / 'mlflow.db'}",
            "--artifacts-destination", str(self.folder / "mlartifacts"),
            "--serve-artifacts",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]  # fmt: skip
        env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"  # no background job runner processes
        log_path = self.folder / "server.log"
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        _wait_for_health(self.uri, self.process, log_path)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None


@pytest.fixture(scope="session")
def mlflow_server_process(
    tmp_path_factory: pytest.TempPathFactory, mlflow_template_db: Path
) -> Iterator[MlflowServer]:
    """The session's MlflowServer; a test that stops it must start it again."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"), mlflow_template_db)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mlflow_server(mlflow_server_process: MlflowServer) -> str:
    """`http://127.0.0.1:<port>` of a real `mlflow server` shared by the session's tests."""
    return mlflow_server_process.uri


def _wait_for_health(uri: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"mlflow server exited with {server.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    tail = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"mlflow server at {uri} did not answer /health:\n{tail}")


def _stop(server: subprocess.Popen) -> None:
    """Stop the server, then kill whatever is left of its process group (its workers)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
