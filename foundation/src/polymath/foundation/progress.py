"""Plain progress lines for logs and CI, where a live progress bar would be noise."""

from __future__ import annotations

import time
from typing import Any

from lightning import LightningModule, Trainer
from lightning.pytorch.callbacks import ProgressBar


class LineProgressBar(ProgressBar):
    """Prints one line every ``every`` optimizer steps and one after each validation."""

    def __init__(self, every: int = 50) -> None:
        super().__init__()
        self.every = every
        self._enabled = True
        self._started: float | None = None

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        """The clock starts with the trainer's first fit or test (a resumed run's test included)."""
        super().setup(trainer, pl_module, stage)
        if self._started is None:
            self._started = time.perf_counter()

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = trainer.global_step
        if self._enabled and step % self.every == 0 and step > 0:
            self._print(trainer, f"step {step}{self._of(trainer)}", "train")

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self._enabled and not trainer.sanity_checking:
            self._print(trainer, f"validation at step {trainer.global_step}", "val")

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self._enabled:
            self._print(trainer, "test", "test")

    def _of(self, trainer: Trainer) -> str:
        return f"/{trainer.max_steps}" if trainer.max_steps and trainer.max_steps > 0 else ""

    def _print(self, trainer: Trainer, what: str, prefix: str) -> None:
        if trainer.global_rank != 0:
            return
        metrics = dict(self.get_metrics(trainer, trainer.lightning_module))
        metrics.pop("v_num", None)
        metrics.update({k: v for k, v in trainer.callback_metrics.items() if k.startswith(prefix)})
        shown = " ".join(f"{k}={_short(v)}" for k, v in metrics.items())
        elapsed = time.perf_counter() - (self._started or time.perf_counter())
        print(
            f"[{elapsed:7.1f}s] epoch {trainer.current_epoch} {what} {shown}".rstrip(), flush=True
        )


def _short(value: Any) -> str:
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)
