"""SIGTERM at every phase of `polymath run` leaves the run KILLED, with one line on stderr.

The signal is sent by this process to itself from inside the phase (a patched hook), so each case
is exact and needs no subprocess; the real-process version is in test_training.py (slow).
"""

import os
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from lightning.fabric.plugins.environments import LightningEnvironment
from lightning.pytorch.trainer.connectors.signal_connector import _SignalConnector
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities.exceptions import SIGTERMException
from mlflow import MlflowClient

from polymath.foundation import preemption, runner, tracking
from polymath.foundation.cli import main
from polymath.foundation.preemption import EXIT_CODE
from polymath.foundation.runner import COMPLETED_FILE
from polymath.foundation.training import GracefulStop

pytestmark = pytest.mark.usefixtures("example_site", "in_tmp")


class SigtermReachedTheTest(AssertionError):
    pass


@pytest.fixture(autouse=True)
def sigterm_guard():
    """Should the runner's handler be missing, the signal fails the test instead of pytest."""

    def fail(signum, frame):
        raise SigtermReachedTheTest("SIGTERM outside the runner's handler")

    previous = signal.signal(signal.SIGTERM, fail)
    yield
    assert signal.getsignal(signal.SIGTERM) is fail, "the runner did not restore the handler"
    signal.signal(signal.SIGTERM, previous)


def sigterm(*args, **kwargs) -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def sigterm_then(original):
    def wrapped(*args, **kwargs):
        sigterm()
        return original(*args, **kwargs)

    return wrapped


def runs(uri: str) -> list:
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("example")
    return [] if experiment is None else client.search_runs([experiment.experiment_id])


def run_until_stopped(capsys, uri: str, *args: str) -> list[str]:
    """`polymath run example ...`: must exit 143; returns stderr's lines."""
    with pytest.raises(SystemExit) as stopped:
        main(["run", "example", *args, "--tracking-uri", uri])
    assert stopped.value.code == EXIT_CODE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if "SIGTERM" in line]


PHASES = {
    "while the run is created": lambda mp: mp.setattr(
        tracking.ResilientClient, "create_run", sigterm_then(tracking.ResilientClient.create_run)
    ),
    "in a training step": lambda mp: mp.setattr(
        "polymath.example.module.Regression.on_train_batch_end",
        lambda self, outputs, batch, index: self.global_step == 3 and sigterm(),
        raising=False,
    ),
    "after the last test batch": lambda mp: mp.setattr(
        "polymath.example.module.Regression.on_test_end", sigterm, raising=False
    ),
    "in the report": lambda mp: mp.setattr("polymath.example.module.report", sigterm),
    "while the model is logged": lambda mp: mp.setattr(runner, "log_model", sigterm),
}
SAID_BY_THE_TRAINER = {  # GracefulStop's line: the step, and the checkpoint when training
    "in a training step": "stopped at step 3, preempted (SIGTERM); checkpoint ",
    "after the last test batch": "stopped at step 8, preempted (SIGTERM); resume with: ",
}


@pytest.mark.parametrize("phase", PHASES)
def test_sigterm_leaves_the_run_killed_with_one_line(phase, mlflow_uri, monkeypatch, capsys):
    PHASES[phase](monkeypatch)
    (line,) = run_until_stopped(capsys, mlflow_uri, "smoke")
    (run,) = runs(mlflow_uri)
    assert run.info.status == "KILLED"
    assert line.endswith("trainer.resume=auto")
    expected = f"polymath: stopped by SIGTERM; run {run.info.run_id} is KILLED; resume with: "
    assert line.startswith(SAID_BY_THE_TRAINER.get(phase, expected))
    if phase == "in a training step":  # the checkpoint holds the step the run stopped after
        checkpoint = line.split("; checkpoint ")[1].split(";")[0]
        assert torch.load(checkpoint, weights_only=False)["global_step"] == 3


def test_sigterm_before_the_run_exists_creates_none(mlflow_uri, monkeypatch, capsys):
    monkeypatch.setattr("polymath.example.module.RegressionData.__init__", sigterm)
    (line,) = run_until_stopped(capsys, mlflow_uri, "smoke")
    assert line.startswith("polymath: stopped by SIGTERM; no run was created")
    assert runs(mlflow_uri) == []


def test_a_killed_run_resumes_and_finishes(mlflow_uri, capsys):
    with pytest.MonkeyPatch.context() as patch:
        PHASES["in the report"](patch)
        run_until_stopped(capsys, mlflow_uri, "smoke")
    assert (
        main(["run", "example", "smoke", "trainer.resume=auto", "--tracking-uri", mlflow_uri]) == 0
    )
    (run,) = runs(mlflow_uri)
    assert run.info.status == "FINISHED" and "report/weight_norm" in run.data.metrics


def test_sigterm_while_the_run_ends_lets_it_end_whole(mlflow_uri, monkeypatch, capsys):
    """After the recipe's last step the run ends FINISHED with its COMPLETED marker, never half."""
    monkeypatch.setattr(runner, "_end_run", sigterm_then(runner._end_run))
    assert main(["run", "example", "smoke", "--tracking-uri", mlflow_uri]) == 0
    (run,) = runs(mlflow_uri)
    assert run.info.status == "FINISHED"
    (workdir,) = Path("polymath_runs/example/smoke").iterdir()
    assert (workdir / COMPLETED_FILE).exists()


def test_sigterm_between_sweep_points_kills_the_point_and_the_parent(
    mlflow_uri, monkeypatch, capsys
):
    calls = []

    def report_then_sigterm(ctx, module, datamodule):
        calls.append(ctx.recipe.name)
        if len(calls) == 2:
            sigterm()

    monkeypatch.setattr("polymath.example.module.report", report_then_sigterm)
    (line,) = run_until_stopped(capsys, mlflow_uri, "sweep")
    assert "is KILLED" in line
    statuses = {run.data.tags.get("polymath.sweep.point", "parent"): run.info.status
                for run in runs(mlflow_uri)}  # fmt: skip
    assert statuses == {"parent": "KILLED", "0": "FINISHED", "1": "KILLED"}


class Launcher:
    """Lightning's launcher of the other ranks, as rank 0 of a DDP run holds it."""

    def __init__(self):
        self.sent = []

    def kill(self, signum):
        self.sent.append(signum)


def ddp_rank_zero(launcher):
    """What Lightning's signal handling reads of a trainer: rank 0 of 2 with its launcher."""
    environment = SimpleNamespace(cluster_environment=LightningEnvironment())
    strategy = SimpleNamespace(launcher=launcher, root_device=torch.device("cpu"))
    return SimpleNamespace(world_size=2, local_rank=0, strategy=strategy,
                           state=SimpleNamespace(fn=TrainerFn.TESTING),
                           _accelerator_connector=environment)  # fmt: skip


def test_under_ddp_sigterm_reaches_the_other_ranks_without_a_collective(monkeypatch):
    """The fast version of test_distributed's SIGTERM after the fit: inside a Trainer's run
    Lightning's handler passes the signal on without broadcasting; outside it, ours does."""

    def collective(*args, **kwargs):
        raise AssertionError("a collective inside the signal handler")

    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "broadcast", collective)
    launcher = Launcher()
    with preemption.stop_on_sigterm():
        connector = _SignalConnector(ddp_rank_zero(launcher))
        connector.register_signal_handlers()  # as each Trainer run does
        sigterm()
        assert connector.received_sigterm and launcher.sent == [signal.SIGTERM]
        connector.teardown()
    launcher.sent.clear()
    with preemption.stop_on_sigterm(), pytest.raises(preemption.Preempted):
        connector.register_signal_handlers()
        connector.teardown()  # the run goes on outside the Trainer, in the report
        sigterm()
    assert launcher.sent == [signal.SIGTERM]


def test_under_ddp_a_sigterm_in_training_stops_every_rank_after_the_same_step():
    """Lightning's own end-of-step check reads each rank's flag: rank 0 could stop a step early and
    wait for ever for the others. The flag stays down; all ranks decide together after the step."""
    trainer = ddp_rank_zero(Launcher())
    trainer.state.fn, trainer.global_step = TrainerFn.FITTING, 3
    decisions = []
    trainer.strategy.reduce_boolean_decision = lambda decision, all: (
        decisions.append(decision) or decision
    )
    with preemption.stop_on_sigterm():
        connector = _SignalConnector(trainer)
        connector.register_signal_handlers()
        sigterm()
        assert not connector.received_sigterm
        with pytest.raises(SIGTERMException):
            GracefulStop(None).on_train_batch_end(trainer, None, None, None, 3)
        connector.teardown()
    assert decisions == [True]


def test_a_sigterm_pending_when_a_distributed_fit_ends_stops_the_run():
    """After the last step's joint decision the signal would otherwise be lost."""
    from polymath.foundation import training

    class EndsAsTheSignalComes:
        def fit(self, *args, **kwargs):
            preemption._handler.pending = True

    with preemption.stop_on_sigterm(), pytest.raises(preemption.Preempted):
        training.fit(EndsAsTheSignalComes(), None)
