"""MLflow tracking for polymath runs: one experiment per package, SQLite by default.

The store is `MLFLOW_TRACKING_URI` or `sqlite:///<cwd>/mlflow.db`, resolved when a run starts.
Logging functions act on rank zero only and do nothing on the other ranks.
"""

from polymath.foundation.tracking.artifacts import log_figure, log_table, register_model
from polymath.foundation.tracking.logger import broadcast_run_id, create_logger, make_run_name
from polymath.foundation.tracking.metadata import installed_versions, log_run_metadata
from polymath.foundation.tracking.uri import (
    DEFAULT_TRACKING_URI,
    TrackingUnavailableError,
    default_artifact_location,
    ensure_reachable,
    resolve_tracking_uri,
)

__all__ = [
    "DEFAULT_TRACKING_URI",
    "TrackingUnavailableError",
    "broadcast_run_id",
    "create_logger",
    "default_artifact_location",
    "ensure_reachable",
    "installed_versions",
    "log_figure",
    "log_run_metadata",
    "log_table",
    "make_run_name",
    "register_model",
    "resolve_tracking_uri",
]
