"""The run's MLFlowLogger: one experiment per package, explicit URI and artifact location."""

from __future__ import annotations

from datetime import datetime

from lightning.pytorch import Trainer
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.utilities import rank_zero_only
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

from polymath.foundation.tracking.uri import default_artifact_location, resolve_tracking_uri

PACKAGE_TAG = "polymath.package"


def make_run_name(package: str, recipe: str) -> str:
    """A run name that says package, recipe and start time: `xval/quick/2026-11-28T04:50:12`."""
    return f"{package}/{recipe}/{datetime.now().isoformat(timespec='seconds')}"


def create_logger(
    package: str,
    run_name: str,
    tracking_uri: str | None = None,
    run_id: str | None = None,
    log_model: bool | str = True,
) -> MLFlowLogger:
    """The logger of one run in the experiment named after `package`.

    The URI is resolved now (not when Lightning was imported) and passed explicitly, as is the
    artifact location: Lightning's own defaults point at a file store that MLflow 3 refuses.
    With `run_id` the logger attaches to that existing run (resume, or ranks other than zero).
    `log_model` is Lightning's: True uploads the checkpoints when training ends.
    """
    uri = resolve_tracking_uri(tracking_uri)
    artifact_root = default_artifact_location(uri)
    artifact_location = f"{artifact_root}/{package}" if artifact_root else None
    if run_id is None and rank_zero_only.rank == 0:
        _ensure_experiment(MlflowClient(uri), package, artifact_location)
    return MLFlowLogger(
        experiment_name=package,
        run_name=run_name,
        tracking_uri=uri,
        tags={PACKAGE_TAG: package},
        artifact_location=artifact_location,
        run_id=run_id,
        log_model=log_model,
    )


def broadcast_run_id(trainer: Trainer, logger: MLFlowLogger) -> str:
    """Rank zero's run id on every rank (Lightning leaves it None on the others)."""
    run_id = logger.run_id if trainer.global_rank == 0 else None
    run_id = trainer.strategy.broadcast(run_id, src=0)
    if trainer.global_rank != 0:
        logger._run_id = run_id  # MLFlowLogger has no setter; the id lets other ranks name files
    return run_id


def _ensure_experiment(client: MlflowClient, name: str, artifact_location: str | None) -> str:
    """Create the package's experiment with our artifact location, or reuse (and restore) it."""
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            return client.create_experiment(name, artifact_location=artifact_location)
        except MlflowException as error:  # another process created it meanwhile
            if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
                raise
            experiment = client.get_experiment_by_name(name)
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    return experiment.experiment_id
