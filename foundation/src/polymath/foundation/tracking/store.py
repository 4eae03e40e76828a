"""Creating the SQLite store safely: one process migrates, the others wait; a bad file is named."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlflow import MlflowClient

from polymath.foundation.tracking.uri import TrackingUnavailableError, sqlite_path

SQLITE_HEADER = b"SQLite format 3\x00"


def prepare_store(tracking_uri: str) -> None:
    """Create and migrate a SQLite store under a lock on its folder; other stores are left alone.

    MLflow creates a new store's schema on first use with Alembic migrations, which race when
    several runs start together in a new folder ("duplicate column name"). Raises
    TrackingUnavailableError (one line) for a file that is not an SQLite database.
    """
    database = sqlite_path(tracking_uri)
    if database is None:
        return
    with _folder_lock(database.parent):
        _check_header(database, tracking_uri)
        try:
            MlflowClient(tracking_uri).search_experiments(max_results=1)
        except Exception as error:
            reason = " ".join(str(error).split())[:200]
            raise TrackingUnavailableError(
                f"MLflow SQLite store {database} cannot be opened ({type(error).__name__}: "
                f"{reason}); move it away or set MLFLOW_TRACKING_URI"
            ) from None


def _check_header(database: Path, tracking_uri: str) -> None:
    if not database.is_file() or database.stat().st_size == 0:
        return
    with database.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise TrackingUnavailableError(
            f"{database} is not an SQLite database, so it cannot hold the MLflow store "
            f"{tracking_uri}; move it away or set MLFLOW_TRACKING_URI"
        )


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive flock on the folder itself (no lock file is left behind)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
