import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from lightning import seed_everything

from polymath.foundation import NonFiniteLossError, TrainerConfig, build_trainer, fit
from polymath.foundation.config import ConfigError
from polymath.foundation.progress import LineProgressBar
from polymath.foundation.training import AtomicCheckpointIO, resume_command

pytestmark = pytest.mark.usefixtures("example_site")


def _example(**model):
    from polymath.example import Regression, RegressionData

    return Regression(**model), RegressionData()


def test_trainer_config_rejects_unknown_and_invalid_settings():
    with pytest.raises(ConfigError, match="unknown trainer setting.*max_stepz"):
        TrainerConfig.from_mapping({"max_stepz": 3})
    with pytest.raises(ConfigError, match="unknown strategy 'horovod'"):
        TrainerConfig(strategy="horovod")


def test_build_trainer_applies_the_configuration(tmp_path):
    trainer = build_trainer(
        {
            "max_steps": 7,
            "gradient_clip_val": 1.0,
            "accumulate_grad_batches": 2,
            "checkpoint_dir": str(tmp_path),
            "progress": "plain",
            "deterministic": True,
        }
    )
    assert trainer.max_steps == 7
    assert trainer.gradient_clip_val == 1.0
    assert trainer.accumulate_grad_batches == 2
    assert isinstance(trainer.progress_bar_callback, LineProgressBar)
    assert trainer.checkpoint_callback.dirpath == str(tmp_path)
    assert isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)


def test_threads_setting_sets_torch_threads():
    before = torch.get_num_threads()
    try:
        build_trainer({"threads": 1, "progress": "none"})
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_fit_writes_last_checkpoint_and_plain_progress(tmp_path, capsys):
    seed_everything(0)
    module, data = _example()
    trainer = build_trainer({"max_steps": 12, "checkpoint_dir": str(tmp_path), "progress": "plain"})
    trainer.progress_bar_callback.every = 4
    fit(trainer, module, data)
    assert (tmp_path / "last.ckpt").is_file()
    assert not list(tmp_path.glob(".*.partial"))
    assert "step 4/12" in capsys.readouterr().out


def test_non_finite_loss_stops_with_the_step():
    module, data = _example(fail_at_step=3)
    trainer = build_trainer({"max_steps": 10, "progress": "none"})
    with pytest.raises(NonFiniteLossError, match="global step 3"):
        fit(trainer, module, data)


def test_resume_requires_a_checkpoint_dir_or_file(tmp_path):
    module, data = _example()
    with pytest.raises(ConfigError, match="checkpoint_dir"):
        fit(build_trainer({"max_steps": 1, "progress": "none"}), module, data, {"resume": "auto"})
    with pytest.raises(ConfigError, match="no checkpoint at"):
        fit(
            build_trainer({"max_steps": 1, "progress": "none"}),
            module,
            data,
            {"resume": str(tmp_path / "x")},
        )


KILLABLE_FIT = textwrap.dedent(
    """
    import sys, time, torch
    from lightning import Callback, seed_everything
    from polymath.example import Regression, RegressionData
    from polymath.foundation import build_trainer, fit

    class Slow(Callback):
        def on_train_batch_end(self, trainer, *args):
            print(f"STEP {trainer.global_step}", flush=True)
            time.sleep(float(sys.argv[2]))

    class Report(Callback):
        def on_train_start(self, trainer, module):
            print(f"START {trainer.global_step} {len(trainer.optimizers[0].state)}", flush=True)

    seed_everything(0)
    config = {"max_steps": 40, "checkpoint_dir": sys.argv[1], "checkpoint_every_n_steps": 5,
              "resume": "auto", "progress": "none", "max_epochs": -1}
    trainer = build_trainer(config, callbacks=[Slow(), Report()])
    fit(trainer, Regression(), RegressionData(), config)
    print(f"DONE {trainer.global_step}", flush=True)
    """
)


def _start(script: Path, checkpoints: Path, delay: float, site: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.Popen(
        [sys.executable, str(script), str(checkpoints), str(delay)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


@pytest.mark.slow  # fast versions: test_exact_resume.py (a kill and a resume in this process)
def test_killed_fit_resumes_from_its_last_checkpoint(tmp_path, example_site):
    script = tmp_path / "fit.py"
    script.write_text(KILLABLE_FIT)
    checkpoints = tmp_path / "checkpoints"
    first = _start(script, checkpoints, 0.05, example_site)
    try:
        for line in first.stdout:
            if line.startswith("STEP") and int(line.split()[1]) >= 17:
                break
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait(timeout=30)
    saved = torch.load(checkpoints / "last.ckpt", weights_only=False)
    assert saved["global_step"] >= 15

    second = _start(script, checkpoints, 0.0, example_site)
    try:
        out, _ = second.communicate(timeout=120)
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
    start = next(line for line in out.splitlines() if line.startswith("START")).split()
    assert int(start[1]) == saved["global_step"]  # the global step continues
    assert int(start[2]) > 0  # the optimizer state (momentum buffers) is restored
    assert "DONE 40" in out
    assert not list(checkpoints.glob(".*.partial"))


@pytest.mark.slow  # fast version: test_preemption.py (the signal sent in a training step)
def test_sigterm_saves_a_checkpoint_and_prints_the_resume_command(tmp_path, example_site):
    script = tmp_path / "fit.py"
    script.write_text(KILLABLE_FIT)
    checkpoints = tmp_path / "checkpoints"
    env = {**os.environ, "PYTHONPATH": str(example_site)}
    fitting = subprocess.Popen(
        [sys.executable, str(script), str(checkpoints), "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        for line in fitting.stdout:
            if line.startswith("STEP") and int(line.split()[1]) >= 17:
                break
        fitting.send_signal(signal.SIGTERM)
        rest, _ = fitting.communicate(timeout=60)
    finally:
        if fitting.poll() is None:
            os.killpg(fitting.pid, signal.SIGKILL)
    stopped = next(line for line in rest.splitlines() if line.startswith("stopped at step"))
    step = int(stopped.split()[3].rstrip(","))
    saved = torch.load(checkpoints / "last.ckpt", weights_only=True)
    assert saved["global_step"] == step >= 17  # later than the periodic checkpoint (every 5)
    assert "preempted (SIGTERM)" in stopped
    assert stopped.endswith(f"resume with: python {script} {checkpoints} 0.05 trainer.resume=auto")
    assert "Traceback" not in rest


def test_resume_command_replaces_an_earlier_resume_setting():
    argv = ["/usr/bin/polymath", "run", "pkg", "quick", "trainer.resume=none", "model.lr=0.1"]
    assert resume_command(argv) == "polymath run pkg quick model.lr=0.1 trainer.resume=auto"
    assert (
        resume_command(["-c", "run", "pkg", "smoke"])
        == "polymath run pkg smoke trainer.resume=auto"
    )
