"""Writes that survive an outage, each step once after a resume, and runs that end truthfully."""

import json
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import TEMPORARILY_UNAVAILABLE

from polymath.foundation.tracking import (
    ResilientClient,
    TrackingOutageError,
    TrackingUnavailableError,
    create_logger,
    end_run,
    run_status,
)
from polymath.foundation.tracking.resilient import PENDING_FILE


def _steps(client: MlflowClient, run_id: str, key: str) -> list[int]:
    return sorted(metric.step for metric in client.get_metric_history(run_id, key))


def test_a_resumed_run_logs_each_step_once(mlflow_uri: str, tmp_path: Path) -> None:
    first = create_logger("pkg", "resume", mlflow_uri, spool_dir=tmp_path / "spool")
    for step in range(10):
        first.log_metrics({"train/loss": 1.0 / (step + 1)}, step=step)
    resumed = create_logger("pkg", "resume", mlflow_uri, run_id=first.run_id)
    for step in range(6, 14):  # the checkpoint was at step 5: steps 6-9 come again
        resumed.log_metrics({"train/loss": 1.0 / (step + 1), "val/loss": 0.5}, step=step)
    client = MlflowClient(mlflow_uri)
    assert _steps(client, first.run_id, "train/loss") == list(range(14))
    assert _steps(client, first.run_id, "val/loss") == list(range(6, 14))


def test_lightning_finalize_leaves_the_run_to_end_run(mlflow_uri: str) -> None:
    logger = create_logger("pkg", "ends", mlflow_uri)
    logger.log_metrics({"a": 1.0}, step=0)
    logger.finalize("success")
    client = MlflowClient(mlflow_uri)
    assert client.get_run(logger.run_id).info.status == "RUNNING"
    assert end_run(logger, "KILLED") is True
    assert client.get_run(logger.run_id).info.status == "KILLED"


def test_run_status_names_what_happened() -> None:
    assert run_status(None) == "FINISHED"
    assert run_status(KeyboardInterrupt()) == "KILLED"
    assert run_status(SystemExit()) == "KILLED"
    assert run_status(TrackingOutageError("the store stopped answering")) == "KILLED"
    assert run_status(ValueError("bad")) == "FAILED"


def test_refused_writes_raise_at_once(mlflow_uri: str) -> None:
    logger = create_logger("pkg", "refused", mlflow_uri)
    logger.experiment.log_param(logger.run_id, "lr", "0.1")
    with pytest.raises(Exception, match="Changing param values is not allowed"):
        logger.experiment.log_param(logger.run_id, "lr", "0.2")
    assert logger.experiment.unsent == 0


class Outage:
    """A store that refuses connections while ``down``: what the client sees of a stopped server."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.down = False
        for name in ("log_batch", "log_artifact"):
            original = getattr(MlflowClient, name)
            monkeypatch.setattr(MlflowClient, name, self._refusing(original))

    def _refusing(self, original):
        def write(client, *args, **kwargs):
            if self.down:
                raise ConnectionRefusedError(111, "Connection refused")
            return original(client, *args, **kwargs)

        return write

    def stop(self) -> None:
        self.down = True

    def start(self) -> None:
        self.down = False


def test_an_outage_is_buffered_sent_on_return_and_reported_if_it_lasts(
    mlflow_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast version of the test against a real server below: refused connections."""
    _outage(Outage(monkeypatch), mlflow_uri, tmp_path)


@pytest.mark.slow
def test_an_outage_of_a_real_server_is_buffered_sent_on_return_and_reported_if_it_lasts(
    mlflow_server_process, tmp_path: Path
) -> None:
    server = mlflow_server_process
    try:
        _outage(server, server.uri, tmp_path)
    finally:
        if server.process is None:
            server.start()


def _outage(server, uri: str, tmp_path: Path) -> None:
    """``server`` stops and starts the store at ``uri``."""
    spool = tmp_path / "spool"
    logger = create_logger("pkg", "outage", uri, spool_dir=spool)
    client = logger.experiment
    client.patience_s = 120.0
    logger.log_metrics({"loss": 0.0}, step=0)

    server.stop()
    started = time.monotonic()
    for step in range(1, 6):
        logger.log_metrics({"loss": float(step)}, step=step)
    client.log_text(logger.run_id, "written during the outage", "notes/outage.txt")
    assert time.monotonic() - started < 15  # training does not wait on the store
    assert client.unsent == 6
    client.raise_if_stalled()  # within the patience: no error

    server.start()
    assert client.drain(30.0)
    reader = MlflowClient(uri)
    assert _steps(reader, logger.run_id, "loss") == list(range(6))
    notes = [artifact.path for artifact in reader.list_artifacts(logger.run_id, "notes")]
    assert notes == ["notes/outage.txt"]

    server.stop()
    logger.log_metrics({"loss": 6.0}, step=6)
    client.patience_s = 0.5
    time.sleep(1.0)
    with pytest.raises(TrackingOutageError) as raised:
        client.raise_if_stalled()
    message = str(raised.value)
    assert "\n" not in message and uri in message and str(spool) in message
    assert end_run(logger, "FAILED") is False  # the outage was reported: no second wait
    assert len(json.loads((spool / PENDING_FILE).read_text())) == 1


def _flaky(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[int]:
    """The store answers 503 to the next `failures` metric writes."""
    left = [failures]
    original = MlflowClient.log_batch

    def log_batch(self, run_id, metrics=(), params=(), tags=(), synchronous=None):
        if metrics and left[0] > 0:
            left[0] -= 1
            raise MlflowException("service unavailable", error_code=TEMPORARILY_UNAVAILABLE)
        return original(self, run_id, metrics, params, tags)

    monkeypatch.setattr(MlflowClient, "log_batch", log_batch)
    return left


def test_unsent_records_are_sent_by_the_resumed_run_once(
    mlflow_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    logger = create_logger("pkg", "spooled", mlflow_uri, spool_dir=spool)
    logger.log_metrics({"loss": 0.0}, step=0)
    _flaky(monkeypatch, failures=1000)
    for step in range(1, 4):
        logger.log_metrics({"loss": float(step)}, step=step)
    logger.experiment.patience_s = 0.0
    assert end_run(logger, "KILLED") is False
    assert len(json.loads((spool / PENDING_FILE).read_text())) == 3
    monkeypatch.undo()

    resumed = create_logger("pkg", "spooled", mlflow_uri, run_id=logger.run_id, spool_dir=spool)
    for step in range(2, 6):  # resumed from a checkpoint at step 1
        resumed.log_metrics({"loss": float(step)}, step=step)
    assert end_run(resumed, "FINISHED") is True
    client = MlflowClient(mlflow_uri)
    assert _steps(client, logger.run_id, "loss") == list(range(6))
    assert client.get_run(logger.run_id).info.status == "FINISHED"
    assert not (spool / PENDING_FILE).exists()


def test_a_write_that_fails_once_is_retried_in_order(
    mlflow_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    logger = create_logger("pkg", "retried", mlflow_uri)
    _flaky(monkeypatch, failures=2)
    for step in range(5):
        logger.log_metrics({"loss": float(step)}, step=step)
    assert logger.experiment.drain(30.0)
    history = MlflowClient(mlflow_uri).get_metric_history(logger.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(step, float(step)) for step in range(5)]


def test_patience_comes_from_the_environment(
    mlflow_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYMATH_TRACKING_PATIENCE", "7.5")
    assert ResilientClient(mlflow_uri).patience_s == 7.5
    monkeypatch.setenv("POLYMATH_TRACKING_PATIENCE", "soon")
    with pytest.raises(TrackingUnavailableError, match="POLYMATH_TRACKING_PATIENCE='soon'"):
        ResilientClient(mlflow_uri)
