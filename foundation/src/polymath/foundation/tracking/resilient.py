"""An MLflow client whose writes survive a tracking outage, and never repeat a step on resume.

Writes (metrics, params, tags, artifacts) go to the store at once while it answers. When it stops
answering, they queue in memory (artifacts are linked into a spool folder) and a background thread
sends them, in order, when it answers again; training never waits on the store. If it stays silent
longer than the patience, :meth:`ResilientClient.raise_if_stalled` raises a one-line
:class:`TrackingOutageError` (the trainer then checkpoints and stops), and what is still unsent is
written to the spool folder and sent by the next client that opens it (the resumed run).

Attached to an existing run, the client skips every metric step the run's history already holds:
a resumed run re-logs the steps after its checkpoint, and each step must appear once.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.utils.validation import MAX_METRICS_PER_BATCH

from polymath.foundation.tracking.uri import TrackingUnavailableError

PATIENCE_VARIABLE = "POLYMATH_TRACKING_PATIENCE"
DEFAULT_PATIENCE_S = 45.0
RETRY_INTERVAL_S = 1.0
PENDING_FILE = "pending.json"
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
"""MLflow's own back-off (7 retries, 120 s timeouts) would stall the caller for minutes."""

log = logging.getLogger(__name__)


class TrackingOutageError(TrackingUnavailableError):
    """The tracking store stopped answering for longer than the patience."""


def patience_from_environment() -> float:
    raw = os.environ.get(PATIENCE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_PATIENCE_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise TrackingUnavailableError(
            f"{PATIENCE_VARIABLE}={raw!r} must be a positive number of seconds"
        )
    return value


@dataclass
class _Write:
    """One queued write: a batch of metrics/params/tags, or a spooled file or folder."""

    run_id: str
    metrics: list[Metric] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    tags: list[RunTag] = field(default_factory=list)
    local_path: str | None = None
    artifact_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "metrics": [[m.key, m.value, m.timestamp, m.step] for m in self.metrics],
            "params": [[p.key, p.value] for p in self.params],
            "tags": [[t.key, t.value] for t in self.tags],
            "local_path": self.local_path,
            "artifact_path": self.artifact_path,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Write:
        return cls(
            data["run_id"],
            [
                Metric(key, value, timestamp, step)
                for key, value, timestamp, step in data["metrics"]
            ],
            [Param(key, value) for key, value in data["params"]],
            [RunTag(key, value) for key, value in data["tags"]],
            data["local_path"],
            data["artifact_path"],
        )


class ResilientClient(MlflowClient):
    """``MlflowClient`` with buffered, ordered, deduplicated writes; reads pass straight through."""

    def __init__(
        self,
        tracking_uri: str,
        spool_dir: str | Path | None = None,
        patience_s: float | None = None,
    ) -> None:
        if tracking_uri.startswith(("http://", "https://")):
            for name, value in HTTP_DEFAULTS.items():
                os.environ.setdefault(name, value)
        super().__init__(tracking_uri)
        self.uri = tracking_uri
        self.patience_s = patience_from_environment() if patience_s is None else patience_s
        self.spool: Path | None = Path(spool_dir) if spool_dir is not None else None
        self._queue: deque[_Write] = deque()
        self._changed = threading.Condition()
        self._sender: threading.Thread | None = None
        self._failing_since: float | None = None
        self._last_error = ""
        self._logged_through: dict[tuple[str, str], int] = {}
        self._names = itertools.count()
        self._load_pending()

    # ---- writes -------------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        metrics = [m for m in metrics if m.step > self._logged_through.get((run_id, m.key), -1)]
        if metrics or params or tags:
            self._write(_Write(run_id, metrics, list(params), list(tags)))

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        **_: Any,
    ) -> None:
        stamp = timestamp if timestamp is not None else int(time.time() * 1000)
        self.log_batch(run_id, metrics=[Metric(key, float(value), stamp, step or 0)])

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        self.log_batch(run_id, params=[Param(key, str(value))])
        return value

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        self._write(_Write(run_id, local_path=str(local_path), artifact_path=artifact_path))

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        self._write(_Write(run_id, local_path=str(local_dir), artifact_path=artifact_path))

    # ---- resume, outage, end ------------------------------------------------------------------

    def skip_logged_steps(self, run_id: str) -> None:
        """Log no step the run's history already holds (queued records that it holds are dropped:
        they were sent as the last run stopped); queued steps are then not logged again either."""
        for key in self.get_run(run_id).data.metrics:
            steps = [m.step for m in self.get_metric_history(run_id, key)]
            self._note_logged(run_id, key, max(steps, default=-1))
        with self._changed:
            for write in self._queue:
                write.metrics = [
                    m
                    for m in write.metrics
                    if write.run_id != run_id
                    or m.step > self._logged_through.get((run_id, m.key), -1)
                ]
            for write in self._queue:
                for metric in write.metrics:
                    self._note_logged(write.run_id, metric.key, metric.step)
            self._start_sender()

    @property
    def stalled(self) -> bool:
        """Whether writes have failed for longer than the patience."""
        since = self._failing_since
        return since is not None and time.monotonic() - since > self.patience_s

    def raise_if_stalled(self) -> None:
        """Raise TrackingOutageError when writes have failed for longer than the patience."""
        with self._changed:
            since = self._failing_since
            if since is None or not self.stalled:
                return
            waiting = len(self._queue)
        raise TrackingOutageError(
            f"MLflow tracking store {self.uri} has not answered for {time.monotonic() - since:.0f} s "
            f"({self._last_error}); {waiting} unsent record(s) kept in {self.spool_dir}"
        )

    @property
    def unsent(self) -> int:
        with self._changed:
            return len(self._queue)

    @property
    def spool_dir(self) -> Path:
        if self.spool is None:
            self.spool = Path(tempfile.mkdtemp(prefix="polymath-tracking-"))
        self.spool.mkdir(parents=True, exist_ok=True)
        return self.spool

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every queued write to be sent; True if all were."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._start_sender()
            while self._queue:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, RETRY_INTERVAL_S))
        return True

    def keep_unsent(self) -> int:
        """Hand the queue over to the spool folder, for the next client opening it (the resumed
        run); returns how many records it held."""
        with self._changed:
            pending = [write.to_json() for write in self._queue]
            self._queue.clear()  # they belong to the spool now: this client sends them no more
        target = self.spool_dir / PENDING_FILE
        if not pending:
            target.unlink(missing_ok=True)
            return 0
        partial = target.with_name(f".{PENDING_FILE}.partial")
        partial.write_text(json.dumps(pending))
        os.replace(partial, target)
        return len(pending)

    # ---- internals ----------------------------------------------------------------------------

    def _note_logged(self, run_id: str, key: str, step: int) -> None:
        previous = self._logged_through.get((run_id, key), -1)
        self._logged_through[(run_id, key)] = max(previous, step)

    def _write(self, write: _Write) -> None:
        with self._changed:
            if not self._queue:
                try:
                    self._send(write)
                    return
                except Exception as error:
                    if not is_transient(error):
                        raise
                    self._failed(error)
            if write.local_path is not None:
                write.local_path = self._spooled(write.local_path)
            self._queue.append(write)
            self._start_sender()

    def _send(self, write: _Write) -> None:
        if write.local_path is None:
            super().log_batch(write.run_id, write.metrics, write.params, write.tags)
        elif Path(write.local_path).is_dir():
            super().log_artifacts(write.run_id, write.local_path, write.artifact_path)
        else:
            super().log_artifact(write.run_id, write.local_path, write.artifact_path)

    def _send_queue(self) -> None:
        while True:
            with self._changed:
                if not self._queue:
                    self._sender = None
                    self._changed.notify_all()
                    return
                write, taken = _merged_head(self._queue)
            try:
                self._send(write)
            except Exception as error:
                if is_transient(error):
                    with self._changed:
                        self._failed(error)
                    time.sleep(RETRY_INTERVAL_S)
                    continue
                log.warning("dropped a tracking write the store refuses: %s", _one_line(error))
            with self._changed:
                for _ in range(min(taken, len(self._queue))):  # the queue may be handed over
                    self._queue.popleft()
                self._failing_since = None
                self._changed.notify_all()
            if self._is_spooled(write.local_path):
                shutil.rmtree(Path(write.local_path).parent, ignore_errors=True)

    def _is_spooled(self, local_path: str | None) -> bool:
        return (
            local_path is not None
            and self.spool is not None
            and Path(local_path).is_relative_to(self.spool)
        )

    def _failed(self, error: Exception) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()
        self._last_error = _one_line(error)

    def _spooled(self, local_path: str) -> str:
        """A private link (or copy) of the file or folder, which later writes cannot change."""
        source = Path(local_path)
        if self._is_spooled(local_path):
            return local_path
        target = self.spool_dir / f"{next(self._names):06d}-{os.getpid()}" / source.name
        target.parent.mkdir(parents=True)
        if source.is_dir():
            shutil.copytree(source, target, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(source), str(target))
        return str(target)

    def _load_pending(self) -> None:
        if self.spool is None or not (self.spool / PENDING_FILE).is_file():
            return
        pending = json.loads((self.spool / PENDING_FILE).read_text())
        with self._changed:  # the file stays until keep_unsent: a killed run loses nothing of it
            self._queue.extend(_Write.from_json(item) for item in pending)

    def _start_sender(self) -> None:
        """Start the background sender if records wait and none runs (call with the lock held)."""
        if self._queue and self._sender is None:
            self._sender = threading.Thread(target=self._send_queue, daemon=True)
            self._sender.start()


def _merged_head(queue: deque[_Write]) -> tuple[_Write, int]:
    """The first write, merged with the metric-only batches of the same run that follow it."""
    head = queue[0]
    if not _metrics_only(head):
        return head, 1
    metrics, taken = list(head.metrics), 1
    for write in itertools.islice(queue, 1, None):
        fits = len(metrics) + len(write.metrics) <= MAX_METRICS_PER_BATCH
        if write.run_id != head.run_id or not _metrics_only(write) or not fits:
            break
        metrics += write.metrics
        taken += 1
    return _Write(head.run_id, metrics), taken


def _metrics_only(write: _Write) -> bool:
    return write.local_path is None and not write.params and not write.tags


def is_transient(error: Exception) -> bool:
    """A store that does not answer (or fails inside) may recover; a refused request will not."""
    if isinstance(error, MlflowException):
        return error.get_http_status_code() >= 500
    return isinstance(error, OSError) or type(error).__name__ in (
        "ConnectionError",
        "Timeout",
        "OperationalError",
    )


def _one_line(error: BaseException) -> str:
    """The reason in a few words: MLflow wraps a refused connection in a paragraph."""
    text = " ".join(str(error).split())
    for cause, said in (("Connection refused", "connection refused"), ("timed out", "timed out")):
        if cause in text:
            return said
    return text[:160] + ("..." if len(text) > 160 else "")


def _link_or_copy(source: str, target: str) -> str:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target
