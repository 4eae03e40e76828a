"""SIGTERM (preemption) at any moment of ``polymath run`` stops the run and leaves it KILLED.

Inside a Trainer's loops Lightning's own handler (which calls this one as well) stops at the end
of the current step, and ``GracefulStop`` saves a checkpoint. Everywhere else (building, between
fit and test, the report, logging the model) :func:`stop_on_sigterm`'s handler raises
:class:`Preempted` at once. While the runner creates or ends an MLflow run, a SIGTERM waits until
that is done (:func:`held`), so no run is left RUNNING, or FINISHED with its files half written.

Under DDP, rank zero passes the signal on to the ranks it launched, inside a Trainer's loops (as
Lightning does) and outside them. Lightning's own handler also broadcasts a tensor from rank zero
inside the signal handler; in the test or at the end of a fit no other rank takes part in that
collective, and rank zero failed with a gloo error (exit 1, a traceback). During
:func:`stop_on_sigterm` that handler passes the signal on without the broadcast. In distributed
training Lightning's end-of-step check reads each rank's own flag, so rank zero could stop one
step before the others and wait for them for ever; there the signal only marks a stop as pending
(:func:`sigterm_pending`), ``GracefulStop`` decides with all ranks together after each step, and
``training.fit`` stops the run if the signal came after the last step's decision.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from lightning.pytorch.trainer.connectors.signal_connector import _SignalConnector
from lightning.pytorch.trainer.states import TrainerFn
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
        self.launchers: list[Any] = []  # Lightning's launchers of the other ranks
        self.passed_on = False
        self.pending = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.pid:  # a forked DataLoader worker: die as it would have
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        self.pass_on(signum)
        if signal.getsignal(signal.SIGTERM) is not self:
            return  # called by Lightning's handler: its loop stops at the end of the step
        if self.holding:
            self.requested = True
            return
        raise Preempted()

    def pass_on(self, signum: int) -> None:
        """To the ranks this process launched (none but on rank zero), once."""
        if not self.passed_on:
            self.passed_on = True
            for launcher in self.launchers:
                launcher.kill(signum)


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
    register, notify = (
        _SignalConnector.register_signal_handlers,
        _SignalConnector._sigterm_notifier_fn,
    )
    _SignalConnector.register_signal_handlers = _registering_launchers(register)
    _SignalConnector._sigterm_notifier_fn = _notify_without_broadcast
    try:
        yield
    finally:
        _SignalConnector.register_signal_handlers = register
        _SignalConnector._sigterm_notifier_fn = notify
        signal.signal(signal.SIGTERM, previous)
        _handler = None


def _registering_launchers(register: Callable[[_SignalConnector], None]):
    """Lightning's registration of its handlers, which also tells ours who launched which ranks."""

    def registering(connector: _SignalConnector) -> None:
        register(connector)
        launcher = connector.trainer.strategy.launcher
        if _handler is not None and launcher is not None and launcher not in _handler.launchers:
            _handler.launchers.append(launcher)

    return registering


def _notify_without_broadcast(connector: _SignalConnector, signum: int, frame: Any) -> None:
    """Lightning's SIGTERM handler less its broadcast (see the module's docstring)."""
    if _handler is not None:
        _handler.pass_on(signum)
        trainer = connector.trainer
        if trainer.state.fn == TrainerFn.FITTING and trainer.world_size > 1:
            # training or validating inside the fit: GracefulStop stops every rank after the same
            # training step, or training.fit once the fit has ended
            _handler.pending = True
            return
    connector.received_sigterm = True


def sigterm_pending() -> bool:
    """A SIGTERM came during a distributed fit: all ranks must agree to stop."""
    return _handler is not None and _handler.pending


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
