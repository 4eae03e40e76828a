"""The SQLite store: created once under a lock by runs starting together; bad stores named early."""

import multiprocessing
from pathlib import Path

import pytest
from mlflow import MlflowClient

from polymath.foundation.tracking import (
    TrackingUnavailableError,
    create_logger,
    end_run,
    ensure_reachable,
)


def _first_run(uri: str, index: int, start: multiprocessing.Barrier) -> None:
    start.wait()
    ensure_reachable(uri)
    logger = create_logger("concurrent", f"run-{index}", uri)
    logger.log_metrics({"loss": 1.0}, step=0)
    assert end_run(logger, "FINISHED")


def test_three_first_runs_in_a_new_folder_all_finish(tmp_path: Path) -> None:
    """Without the lock, 3 of 3 fail here ("duplicate column", "Online migration expected")."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    fork = multiprocessing.get_context("fork")  # the children need no fresh imports
    start = fork.Barrier(3)
    runs = [fork.Process(target=_first_run, args=(uri, index, start)) for index in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=300)
    assert [run.exitcode for run in runs] == [0, 0, 0]
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("concurrent")
    statuses = [run.info.status for run in client.search_runs([experiment.experiment_id])]
    assert statuses == ["FINISHED"] * 3


def test_a_file_that_is_not_a_database_is_named_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "mlflow.db"
    database.write_text("these are my notes, not a database\n" * 50)
    with pytest.raises(TrackingUnavailableError) as raised:
        ensure_reachable(f"sqlite:///{database}")
    message = str(raised.value)
    assert "\n" not in message
    assert f"{database} is not an SQLite database" in message
    assert database.read_text().startswith("these are my notes")  # left as it was


def test_a_damaged_database_is_named_in_one_line(tmp_path: Path, mlflow_template_db: Path) -> None:
    database = tmp_path / "mlflow.db"
    content = mlflow_template_db.read_bytes()
    database.write_bytes(content[:100] + b"\xff" * (len(content) - 100))
    with pytest.raises(TrackingUnavailableError) as raised:
        ensure_reachable(f"sqlite:///{database}")
    assert "\n" not in str(raised.value)
    assert f"MLflow SQLite store {database} cannot be opened" in str(raised.value)


@pytest.mark.parametrize("uri", ["foo://", "::::", "mlruns"])
def test_an_unknown_scheme_is_refused_in_one_line(uri: str) -> None:
    with pytest.raises(TrackingUnavailableError) as raised:
        ensure_reachable(uri)
    message = str(raised.value)
    assert "\n" not in message and repr(uri) in message and "sqlite:///" in message
