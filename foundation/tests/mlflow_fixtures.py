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

__all__ = ["free_port", "mlflow_server", "mlflow_template_db", "mlflow_uri"]

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


@pytest.fixture(scope="session")
def mlflow_server(
    tmp_path_factory: pytest.TempPathFactory, mlflow_template_db: Path
) -> Iterator[str]:
    """`http://127.0.0.1:<port>` of a real `mlflow server` shared by the session's tests."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    database = folder / "mlflow.db"
    shutil.copyfile(mlflow_template_db, database)
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    log_path = folder / "server.log"
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{database}",
        "--artifacts-destination", str(folder / "mlartifacts"),
        "--serve-artifacts",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"  # no background job runner processes
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for_health(uri, server, log_path)
        yield uri
    finally:
        _stop(server)


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
