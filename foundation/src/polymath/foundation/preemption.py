"""SIGTERM (preemption) at any moment of ``polymath run`` stops the run and leaves it KILLED.

Inside a Trainer's loops Lightning's own handler (which calls this one as well) stops at the end
of the current step, and ``GracefulStop`` saves a checkpoint. Everywhere else (building, between
fit and test, the report, logging the model) :func:`stop_on_sigterm`'s handler raises
:class:`Preempted` at once. While the runner creates or ends an MLflow run, a SIGTERM waits until
that is done (:func:`held`), so no run is left RUNNING, or FINISHED with its files half written.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from lightning.pytorch.utilities.exceptions import SIGTERMException

EXIT_CODE = 128 + signal.SIGTERM


class Preempted(SIGTERMException):
    """SIGTERM outside a Trainer's loops."""

    def __init__(self) -> None:
        super().__init__(EXIT_CODE)


class _Handler:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.holding = 0
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.pid:  # a forked DataLoader worker: die as it would have
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        if signal.getsignal(signal.SIGTERM) is not self:
            return  # called by Lightning's handler: its loop stops at the end of the step
        if self.holding:
            self.requested = True
            return
        raise Preempted()


_handler: _Handler | None = None


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """SIGTERM raises :class:`Preempted` during the block (main thread only; elsewhere a no-op)."""
    global _handler
    if _handler is not None or threading.current_thread() is not threading.main_thread():
        yield
        return
    _handler = _Handler()
    previous = signal.signal(signal.SIGTERM, _handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        _handler = None


@contextmanager
def held() -> Iterator[None]:
    """A SIGTERM during the block waits for its end; :func:`stop_if_requested` then raises it."""
    if _handler is None:
        yield
        return
    _handler.holding += 1
    try:
        yield
    finally:
        _handler.holding -= 1


def stop_if_requested() -> None:
    """Raises :class:`Preempted` for a SIGTERM that arrived during a :func:`held` block."""
    if _handler is not None and _handler.requested:
        _handler.requested = False
        raise Preempted()
