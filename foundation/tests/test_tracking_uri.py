import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from mlflow_fixtures import free_port

from polymath.foundation.tracking import (
    TrackingUnavailableError,
    default_artifact_location,
    ensure_reachable,
    resolve_tracking_uri,
)


@pytest.fixture
def no_env_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def test_default_is_an_absolute_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_env_uri: None
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_tracking_uri() == f"sqlite:///{tmp_path}/mlflow.db"
    assert default_artifact_location(resolve_tracking_uri()) == (tmp_path / "mlartifacts").as_uri()


def test_environment_is_read_when_resolving_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    assert resolve_tracking_uri() == "http://tracking.example:5000"
    assert resolve_tracking_uri("sqlite:////data/runs.db") == "sqlite:////data/runs.db"


def test_relative_sqlite_paths_become_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    resolved = resolve_tracking_uri("sqlite:///runs/track.db?timeout=20")
    assert resolved == f"sqlite:///{tmp_path}/runs/track.db?timeout=20"
    assert default_artifact_location(resolved) == (tmp_path / "runs" / "mlartifacts").as_uri()


def test_servers_choose_their_own_artifact_location() -> None:
    assert default_artifact_location("http://127.0.0.1:5000") is None


def test_unreachable_server_fails_fast_with_one_line() -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TrackingUnavailableError) as raised:
        ensure_reachable(uri, timeout=2)
    message = str(raised.value)
    assert "\n" not in message
    assert f"MLflow tracking server at {uri} is unreachable" in message
    assert "MLFLOW_TRACKING_URI" in message


class _NotMlflow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_that_is_not_mlflow_is_reported() -> None:
    server = HTTPServer(("127.0.0.1", 0), _NotMlflow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(TrackingUnavailableError, match="HTTP 404"):
            ensure_reachable(f"http://127.0.0.1:{server.server_port}", timeout=2)
    finally:
        server.shutdown()
        server.server_close()


def test_sqlite_store_needs_an_existing_writable_folder(mlflow_uri: str, tmp_path: Path) -> None:
    ensure_reachable(mlflow_uri)  # a migrated store (a new one: test_tracking_store.py)
    missing = tmp_path / "missing" / "mlflow.db"
    with pytest.raises(TrackingUnavailableError, match="does not exist"):
        ensure_reachable(f"sqlite:///{missing}")
    (tmp_path / "folder.db").mkdir()
    with pytest.raises(TrackingUnavailableError, match="not a writable file"):
        ensure_reachable(f"sqlite:///{tmp_path}/folder.db")
