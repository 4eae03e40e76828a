"""Where runs are tracked: resolving the tracking URI and checking that the store answers."""

from __future__ import annotations

import base64
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
ARTIFACT_DIR_NAME = "mlartifacts"
_SQLITE_PREFIX = "sqlite:///"
_REMOTE_SCHEMES = ("http", "https", "databricks")
KNOWN_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql", "http", "https", "databricks", "file")
"""Tracking stores MLflow opens (database dialects may carry a driver: `postgresql+psycopg2`)."""


class TrackingUnavailableError(RuntimeError):
    """The tracking store cannot be reached or written; raised before any training starts."""


def resolve_tracking_uri(uri: str | None = None) -> str:
    """The explicit `uri`, else `MLFLOW_TRACKING_URI`, else `sqlite:///<cwd>/mlflow.db`.

    Resolved when a run starts, not at import, and relative SQLite paths are made absolute
    against the working directory so that every process of a run writes to the same file.
    """
    chosen = (
        (uri or "").strip()
        or os.environ.get("MLFLOW_TRACKING_URI", "").strip()
        or DEFAULT_TRACKING_URI
    )
    return _absolute_sqlite(chosen)


def default_artifact_location(tracking_uri: str) -> str | None:
    """The artifact root for experiments of a database store; None where a server decides.

    A SQLite store keeps its artifacts in `mlartifacts/` next to the database file (so the
    default store gives `<cwd>/mlartifacts`); other databases use `<cwd>/mlartifacts`.
    """
    scheme = _scheme(tracking_uri)
    if scheme in _REMOTE_SCHEMES:
        return None
    database = sqlite_path(tracking_uri)
    root = database.parent if database is not None else Path.cwd()
    return (root / ARTIFACT_DIR_NAME).resolve().as_uri()


def ensure_reachable(tracking_uri: str, timeout: float = 5.0) -> None:
    """Raise TrackingUnavailableError (one line) unless the store can be used right now.

    The scheme must be one MLflow knows. http(s): the server must answer `/health` (or the
    experiments search endpoint). sqlite: the database's folder must exist and be writable, and the
    store is created (under a lock) or opened, so a file that is not a database is named here.
    Other databases are left to MLflow.
    """
    check_scheme(tracking_uri)
    scheme = _scheme(tracking_uri)
    if scheme in ("http", "https"):
        _check_server(tracking_uri.rstrip("/"), timeout)
    elif scheme == "sqlite":
        from polymath.foundation.tracking.store import prepare_store

        _check_sqlite(tracking_uri)
        prepare_store(tracking_uri)


def check_scheme(tracking_uri: str) -> None:
    """Raise TrackingUnavailableError (one line) unless MLflow has a store for the URI's scheme."""
    scheme = _scheme(tracking_uri).split("+", 1)[0]
    if scheme not in KNOWN_SCHEMES:
        shown = f"scheme {scheme!r}" if scheme else "no scheme"
        raise TrackingUnavailableError(
            f"tracking URI {tracking_uri!r} has {shown}; use sqlite:///path/to/mlflow.db, "
            f"http(s)://host:port or another of {', '.join(KNOWN_SCHEMES)}"
        )


def _check_server(base: str, timeout: float) -> None:
    reason = ""
    for path in ("/health", "/api/2.0/mlflow/experiments/search?max_results=1"):
        request = urllib.request.Request(base + path, headers=_auth_headers())
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if response.status == 200:
                    return
                reason = f"HTTP {response.status} from {path}"
        except urllib.error.HTTPError as error:
            reason = f"HTTP {error.code} from {path}"
        except (urllib.error.URLError, OSError) as error:
            reason = str(getattr(error, "reason", error))
            break
    raise TrackingUnavailableError(
        f"MLflow tracking server at {base} is unreachable ({reason}); "
        "start it or set MLFLOW_TRACKING_URI"
    )


def _auth_headers() -> dict[str, str]:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if user:
        password = os.environ.get("MLFLOW_TRACKING_PASSWORD", "")
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {encoded}"}
    return {}


def _check_sqlite(tracking_uri: str) -> None:
    database = sqlite_path(tracking_uri)
    if database is None:
        return
    folder = database.parent
    problem = None
    if not folder.is_dir():
        problem = f"folder {folder} does not exist"
    elif database.exists() and not (database.is_file() and os.access(database, os.W_OK)):
        problem = f"{database} is not a writable file"
    elif not os.access(folder, os.W_OK | os.X_OK):
        problem = f"folder {folder} is not writable"
    if problem:
        raise TrackingUnavailableError(
            f"MLflow SQLite store {tracking_uri} is unusable ({problem}); "
            "create the folder or set MLFLOW_TRACKING_URI"
        )


def _scheme(tracking_uri: str) -> str:
    return urlsplit(tracking_uri).scheme.lower()


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a SQLite URI; None for other schemes and in-memory databases."""
    if not tracking_uri.startswith(_SQLITE_PREFIX):
        return None
    path = tracking_uri[len(_SQLITE_PREFIX) :].split("?", 1)[0]
    if path in ("", ":memory:"):
        return None
    return Path(path)


def _absolute_sqlite(tracking_uri: str) -> str:
    database = sqlite_path(tracking_uri)
    if database is None or database.is_absolute():
        return tracking_uri
    query = tracking_uri[len(_SQLITE_PREFIX) :].partition("?")[1:]
    return _SQLITE_PREFIX + str(Path.cwd() / database) + "".join(query)
