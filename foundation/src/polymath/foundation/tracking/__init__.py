"""MLflow tracking for polymath runs: one experiment per package, SQLite by default.

The store is `MLFLOW_TRACKING_URI` or `sqlite:///<cwd>/mlflow.db`, resolved when a run starts.
Logging functions act on rank zero only and do nothing on the other ranks. Writes survive a
tracking outage (see `resilient`), and the runner, not Lightning, ends a run (`end_run`).
"""

from polymath.foundation.tracking.artifacts import log_figure, log_table, register_model
from polymath.foundation.tracking.logger import (
    RunLogger,
    broadcast_run_id,
    create_logger,
    end_run,
    make_run_name,
    run_status,
)
from polymath.foundation.tracking.metadata import installed_versions, log_run_metadata
from polymath.foundation.tracking.resilient import ResilientClient, TrackingOutageError
from polymath.foundation.tracking.store import prepare_store
from polymath.foundation.tracking.uri import (
    DEFAULT_TRACKING_URI,
    TrackingUnavailableError,
    check_scheme,
    default_artifact_location,
    ensure_reachable,
    resolve_tracking_uri,
)

__all__ = [
    "DEFAULT_TRACKING_URI",
    "ResilientClient",
    "RunLogger",
    "TrackingOutageError",
    "TrackingUnavailableError",
    "broadcast_run_id",
    "check_scheme",
    "create_logger",
    "default_artifact_location",
    "end_run",
    "ensure_reachable",
    "installed_versions",
    "log_figure",
    "log_run_metadata",
    "log_table",
    "make_run_name",
    "prepare_store",
    "register_model",
    "resolve_tracking_uri",
    "run_status",
]
