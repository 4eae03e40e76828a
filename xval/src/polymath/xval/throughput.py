"""A callback that times training batches: samples/s and (non-padding) tokens/s."""

from __future__ import annotations

import time

from lightning import Callback


class TrainingThroughput(Callback):
    """Counts the wall time of training batches only (not validation), after ``skip`` warm-up batches."""

    def __init__(self, skip: int = 2) -> None:
        self.skip = skip
        self.seconds = 0.0
        self.samples = 0
        self.tokens = 0
        self._seen = 0

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self._started = time.perf_counter()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self._seen += 1
        if self._seen <= self.skip:
            return
        self.seconds += time.perf_counter() - self._started
        self.samples += len(batch["ids"])
        self.tokens += int((~batch["padding"]).sum())

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds else float("nan")

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else float("nan")
