"""The run's logger: one experiment per package, explicit URI and artifact location.

Lightning ends an MLflow run in its teardown, whatever became of the recipe; here the runner ends it
with :func:`end_run`, so FINISHED means the recipe's last step ran.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from lightning.pytorch import Trainer
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment
from lightning.pytorch.utilities import rank_zero_only
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

from polymath.foundation.tracking.resilient import (
    ResilientClient,
    TrackingOutageError,
    is_transient,
)
from polymath.foundation.tracking.store import prepare_store
from polymath.foundation.tracking.uri import default_artifact_location, resolve_tracking_uri

PACKAGE_TAG = "polymath.package"
SPOOL_ROOT = Path("polymath_runs") / "tracking-spool"
"""Where a run keeps what an outage left unsent (per run id, under the working directory)."""


def make_run_name(package: str, recipe: str) -> str:
    """A run name that says package, recipe and start time: `xval/quick/2026-11-28T04:50:12`."""
    return f"{package}/{recipe}/{datetime.now().isoformat(timespec='seconds')}"


def create_logger(
    package: str,
    run_name: str,
    tracking_uri: str | None = None,
    run_id: str | None = None,
    log_model: bool | str = True,
    spool_dir: str | Path | None = None,
) -> RunLogger:
    """The logger of one run in the experiment named after `package`.

    The URI is resolved now (not when Lightning was imported) and passed explicitly, as is the
    artifact location: Lightning's own defaults point at a file store that MLflow 3 refuses.
    With `run_id` the logger attaches to that existing run (resume, or ranks other than zero).
    `log_model` is Lightning's: True uploads the checkpoints when training ends. `spool_dir` keeps
    what an outage leaves unsent (default `polymath_runs/tracking-spool/<run id>`, where the
    resumed run, attached by `run_id`, finds and sends it).
    """
    uri = resolve_tracking_uri(tracking_uri)
    artifact_root = default_artifact_location(uri)
    artifact_location = f"{artifact_root}/{package}" if artifact_root else None
    if run_id is None and rank_zero_only.rank == 0:
        prepare_store(uri)
        _ensure_experiment(MlflowClient(uri), package, artifact_location)
    return RunLogger(
        experiment_name=package,
        run_name=run_name,
        tracking_uri=uri,
        tags={PACKAGE_TAG: package},
        artifact_location=artifact_location,
        run_id=run_id,
        log_model=log_model,
        spool_dir=spool_dir,
    )


class RunLogger(MLFlowLogger):
    """Lightning's MLFlowLogger writing through a :class:`ResilientClient`.

    ``finalize`` (called by Lightning after every fit and test, and on errors) only sends what is
    queued; it never ends the run. Attached to an existing run (resume), the steps the run already
    holds are not logged again.
    """

    def __init__(
        self,
        *args: Any,
        spool_dir: str | Path | None = None,
        patience_s: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._spool_root = Path.cwd() / SPOOL_ROOT
        if spool_dir is None and self._run_id is not None:
            spool_dir = self._spool_root / self._run_id
        self._mlflow_client = ResilientClient(self._tracking_uri, spool_dir, patience_s)
        if self._run_id is not None and rank_zero_only.rank == 0:
            self._mlflow_client.skip_logged_steps(self._run_id)

    @property
    @rank_zero_experiment
    def experiment(self) -> ResilientClient:
        client = super().experiment
        if client.spool is None and self._run_id is not None:
            client.spool = self._spool_root / self._run_id
        return client

    @property
    def client(self) -> ResilientClient:
        return self._mlflow_client

    @rank_zero_only
    def finalize(self, status: str = "success") -> None:
        client = self._mlflow_client
        if self._initialized and not client.stalled:  # an outage already stopped the run
            client.drain(client.patience_s)

    def raise_if_stalled(self) -> None:
        """Raise TrackingOutageError when the store has not answered for longer than the patience."""
        if self._initialized:
            self._mlflow_client.raise_if_stalled()


def run_status(error: BaseException | None) -> str:
    """The MLflow status a run ends with: FINISHED; KILLED when interrupted, preempted or stopped by a
    tracking outage (all resumable); FAILED for an error."""
    if error is None:
        return "FINISHED"
    if isinstance(error, (KeyboardInterrupt, SystemExit, TrackingOutageError)):
        return "KILLED"
    return "FAILED"


@rank_zero_only
def end_run(logger: MLFlowLogger, status: str) -> bool:
    """Send what is queued, then end the run with `status`; False if the store did not answer.

    Whatever stays unsent is kept in the logger's spool folder, and one line on stderr says so.
    """
    client = logger.experiment
    if not isinstance(client, ResilientClient):
        logger.finalize(status)
        return True
    if client.stalled:  # the outage was reported already; waiting again would only delay
        client.keep_unsent()
        return False
    deadline = time.monotonic() + client.patience_s
    reason = "writes still queued"
    if client.drain(client.patience_s):
        while True:
            try:
                client.set_terminated(logger.run_id, status)
                client.keep_unsent()
                return True
            except Exception as error:
                reason = " ".join(str(error).split())[:200]
                if time.monotonic() > deadline or not is_transient(error):
                    break
                time.sleep(1.0)
    kept = client.keep_unsent()
    print(
        f"MLflow tracking store {client.uri} did not answer: run {logger.run_id} is not marked "
        f"{status} ({reason}); {kept} unsent record(s) kept in {client.spool_dir}",
        file=sys.stderr,
        flush=True,
    )
    return False


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
