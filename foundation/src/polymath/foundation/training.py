"""A Lightning Trainer from plain configuration, with the federation's defaults."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from lightning import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint, RichProgressBar
from lightning.pytorch.loggers import Logger
from lightning.pytorch.plugins.io import TorchCheckpointIO
from lightning.pytorch.strategies import DDPStrategy, FSDPStrategy, ModelParallelStrategy, Strategy
from lightning.pytorch.utilities.exceptions import SIGTERMException

from polymath.foundation import preemption
from polymath.foundation.config import ConfigError
from polymath.foundation.exact_resume import ExactResume
from polymath.foundation.progress import LineProgressBar
from polymath.foundation.tracking.resilient import TrackingOutageError
from polymath.foundation.trainer_config import LIGHTNING_FIELDS, TrainerConfig

__all__ = [
    "AtomicCheckpointIO",
    "GracefulStop",
    "NonFiniteLossError",
    "NonFiniteLossGuard",
    "TrainerConfig",
    "build_trainer",
    "fit",
    "resume_checkpoint",
    "shutdown_distributed",
]

LAST_CHECKPOINT = "last.ckpt"
STALL_CHECK_EVERY = 16
"""Steps between the collective tracking-outage checks of a distributed fit."""


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


class NonFiniteLossGuard(Callback):
    """Stops the run, before the update, with an error naming the step when the loss is not finite."""

    def on_before_backward(
        self, trainer: Trainer, pl_module: LightningModule, loss: torch.Tensor
    ) -> None:
        if not torch.isfinite(loss).all():
            raise NonFiniteLossError(
                f"non-finite training loss ({loss.detach().float().mean().item()}) at global step "
                f"{trainer.global_step} (epoch {trainer.current_epoch}); no update was applied"
            )


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes each checkpoint beside its target and renames it: a killed run never leaves half a file."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None
    ) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        super().save_checkpoint(checkpoint, partial, storage_options)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)


class GracefulStop(Callback):
    """Preemption (SIGTERM) or a tracking outage: save the last checkpoint, say how to resume, stop.

    Lightning turns SIGTERM into an exception at the end of the current step; a logger that cannot
    reach its store for longer than its patience raises one. Either way no finished step is lost.
    The end of training is saved as ``last.ckpt`` as well, whatever the checkpoint interval.
    A checkpoint is saved only while training runs: one taken while the trainer sets up, tests or
    tears down would not hold the training state (and could replace a good one).
    """

    def __init__(self, checkpoint_dir: str | None) -> None:
        self.checkpoint_dir = checkpoint_dir
        self._training = False

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._training = True

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if trainer.world_size > 1 and trainer.strategy.reduce_boolean_decision(
            preemption.sigterm_pending(), all=False
        ):
            raise SIGTERMException()  # on every rank after the same step
        if trainer.world_size > 1 and trainer.global_step % STALL_CHECK_EVERY:
            return
        error = _tracking_outage(trainer)
        if trainer.world_size > 1:
            if trainer.strategy.reduce_boolean_decision(error is not None, all=False):
                raise error or TrackingOutageError("the tracking store on rank 0 stopped answering")
        elif error is not None:
            raise error

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """The final state as ``last.ckpt`` too, so a run killed later (test, report) trains no more."""
        self._training = False
        periodic = trainer.checkpoint_callback
        if self.checkpoint_dir and getattr(periodic, "_last_global_step_saved", -1) != (
            trainer.global_step
        ):
            trainer.save_checkpoint(Path(self.checkpoint_dir) / LAST_CHECKPOINT)

    def teardown(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        """A SIGTERM that came after the loop's last look at it (the last test batch, the end of
        training) stops the run here, before the code after ``fit``/``test`` goes on."""
        if trainer.received_sigterm:
            raise SIGTERMException()

    def on_exception(
        self, trainer: Trainer, pl_module: LightningModule, exception: BaseException
    ) -> None:
        if not isinstance(exception, (SIGTERMException, TrackingOutageError)):
            return
        reason = (
            "preempted (SIGTERM)" if isinstance(exception, SIGTERMException) else "tracking outage"
        )
        saved = ""
        if self.checkpoint_dir and self._training:
            path = Path(self.checkpoint_dir) / LAST_CHECKPOINT
            trainer.save_checkpoint(path)
            saved = f"; checkpoint {path}"
        self._training = False
        if trainer.global_rank == 0:
            print(
                f"stopped at step {trainer.global_step}, {reason}{saved}; resume with: "
                f"{resume_command()}",
                file=sys.stderr,
                flush=True,
            )
        exception.reported = True  # the runner adds no second line


def resume_command(argv: Sequence[str] | None = None) -> str:
    """This process's command line with ``trainer.resume=auto`` (the way to continue the run)."""
    argv = list(sys.argv if argv is None else argv)
    program = Path(argv[0]).name if argv else "polymath"
    if program in ("-c", "cli.py", "__main__.py"):  # python -c / -m polymath.foundation.cli
        program = "polymath"
    words = ["python", argv[0]] if program.endswith(".py") else [program]
    words += [word for word in argv[1:] if not word.startswith("trainer.resume=")]
    return shlex.join([*words, "trainer.resume=auto"])


def build_trainer(
    config: TrainerConfig | Mapping[str, Any] | None = None,
    logger: Logger | bool = False,
    callbacks: Sequence[Callback] = (),
) -> Trainer:
    """A Trainer with checkpoints (last and best), the non-finite guard and a progress display."""
    config = TrainerConfig.from_mapping(config)
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    all_callbacks: list[Callback] = [
        NonFiniteLossGuard(),
        ExactResume(),
        GracefulStop(config.checkpoint_dir),
        *callbacks,
    ]
    if config.checkpoint_dir:
        all_callbacks.append(_checkpointing(config))
    progress = _progress_bar(config.progress)
    if progress is not None:
        all_callbacks.append(progress)
    return Trainer(
        **{name: getattr(config, name) for name in LIGHTNING_FIELDS},
        strategy=_strategy(config),
        logger=logger,
        callbacks=all_callbacks,
        enable_checkpointing=bool(config.checkpoint_dir),
        enable_progress_bar=progress is not None,
        enable_model_summary=False,
        plugins=[AtomicCheckpointIO()],
    )


def resume_checkpoint(config: TrainerConfig | Mapping[str, Any]) -> str | None:
    """The checkpoint a fit continues from: ``resume="auto"`` finds the last one if there is one."""
    config = TrainerConfig.from_mapping(config)
    if config.resume is None:
        return None
    if config.resume == "auto":
        if not config.checkpoint_dir:
            raise ConfigError('trainer.resume="auto" needs trainer.checkpoint_dir')
        last = Path(config.checkpoint_dir) / LAST_CHECKPOINT
        return str(last) if last.is_file() else None
    if not Path(config.resume).is_file():
        raise ConfigError(f"trainer.resume: no checkpoint at {config.resume}")
    return config.resume


def fit(
    trainer: Trainer,
    module: LightningModule,
    datamodule: LightningDataModule | None = None,
    config: TrainerConfig | Mapping[str, Any] | None = None,
) -> None:
    """``trainer.fit`` that honours ``config.resume`` (global step and optimizer state continue).

    A SIGTERM that came during distributed training after the last step's decision (see
    ``GracefulStop``) stops the run here: the end of training is already saved."""
    trainer.fit(module, datamodule=datamodule, ckpt_path=resume_checkpoint(config or {}))
    if preemption.sigterm_pending():
        raise preemption.Preempted()


def shutdown_distributed() -> None:
    """Destroys the process group a distributed fit left behind, before the interpreter exits.

    Left alive, gloo's threads can abort the process at exit ("terminate called without an active
    exception") after a successful run.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def _checkpointing(config: TrainerConfig) -> ModelCheckpoint:
    return ModelCheckpoint(
        dirpath=config.checkpoint_dir,
        filename="best-step{step:06d}" if config.monitor else "step{step:06d}",
        auto_insert_metric_name=False,
        monitor=config.monitor,
        mode=config.mode,
        save_top_k=1,
        save_last=True,
        every_n_train_steps=config.checkpoint_every_n_steps,
    )


def _tracking_outage(trainer: Trainer) -> TrackingOutageError | None:
    for logger in trainer.loggers:
        check = getattr(logger, "raise_if_stalled", None)
        if check is not None:
            try:
                check()
            except TrackingOutageError as error:
                return error
    return None


def _strategy(config: TrainerConfig) -> str | Strategy:
    if config.strategy == "auto":
        return "auto"
    on_gpu = config.accelerator in ("gpu", "cuda") or (
        config.accelerator == "auto" and torch.cuda.is_available()
    )
    if config.strategy == "ddp":
        return DDPStrategy(process_group_backend="nccl" if on_gpu else "gloo")
    if on_gpu:
        return FSDPStrategy()
    return ModelParallelStrategy(
        data_parallel_size=config.world_size or "auto", tensor_parallel_size=1
    )


def _progress_bar(kind: str) -> Callback | None:
    if kind == "none":
        return None
    if kind == "rich" or (kind == "auto" and sys.stdout.isatty()):
        return RichProgressBar()
    return LineProgressBar()
