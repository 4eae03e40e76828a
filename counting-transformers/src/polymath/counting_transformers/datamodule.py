"""Data for training and evaluation: a fresh-sample stream and fixed sets in webdataset shards."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from lightning import LightningDataModule
from torch.utils.data import DataLoader, IterableDataset

from polymath.counting_transformers.data import (
    check_parameters,
    collate,
    generate,
    largest_count,
    sample_dicts,
)
from polymath.foundation.cache import cache_dir
from polymath.foundation.data import shard_dataset, worker_seed, write_shards

SHARDS_PER_SET = 8  # at least ranks x workers for the usual settings, so every reader gets shards


class CountingStream(IterableDataset):
    """An endless stream of freshly drawn batches; each rank and worker draws its own stream.

    ``state_dict`` is the generator's state after the last batch drawn, so a checkpoint holds the
    stream's position and a resumed run draws the batches the uninterrupted run would have.
    """

    def __init__(self, batch_size: int, seed: int, **task: Any) -> None:
        self.batch_size, self.seed, self.task = batch_size, seed, task
        self._rng: np.random.Generator | None = None
        self._resume_from: dict[str, Any] | None = None

    def __iter__(self) -> Iterator[dict]:
        self._rng = np.random.default_rng(worker_seed(self.seed))
        if self._resume_from is not None:
            self._rng.bit_generator.state = self._resume_from
            self._resume_from = None
        while True:
            yield generate(self.batch_size, seed=self._rng, **self.task).as_batch()

    def state_dict(self) -> dict[str, Any]:
        return {"bit_generator": None if self._rng is None else self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._resume_from = state["bit_generator"]


class CountingDataModule(LightningDataModule):
    """Training stream plus fixed in-distribution and out-of-distribution evaluation sets.

    Validation uses the in-distribution set; test uses it and every point of the grid
    ``ood_lengths x ood_regions``. Evaluation sets are written once as webdataset shards under
    ``data_dir/<digest of their parameters>`` (default: foundation's cache folder,
    ``$POLYMATH_CACHE/counting-transformers``) and read back from there. The training stream's
    ``seed`` defaults to the run's seed (``trainer.seed``); the evaluation sets use ``eval_seed``.
    """

    def __init__(
        self,
        length: int | Sequence[int] = 64,
        regions: int | Sequence[int] = 4,
        density: float | Sequence[float] = (0.0, 1.0),
        region_length: int | Sequence[int] | None = None,
        max_count: int | None = None,
        batch_size: int = 128,
        seed: int | None = None,
        eval_size: int = 512,
        eval_seed: int = 12345,
        ood_lengths: Sequence[int] = (),
        ood_regions: Sequence[int] = (),
        data_dir: str | None = None,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.task = {
            "length": length,
            "regions": regions,
            "density": density,
            "region_length": region_length,
        }
        self.grid = [(int(n), int(r)) for n, r in product(ood_lengths, ood_regions)]
        points = [(length, regions), *self.grid]
        self.max_count = (
            max_count
            if max_count is not None
            else max(largest_count(n, r, region_length) for n, r in points)
        )
        for n, r in points:
            check_parameters(n, r, region_length, self.max_count, density)
        if seed is None:  # the run's seed (trainer.seed), so a sweep over seeds varies the data too
            seed = int(os.environ.get("PL_GLOBAL_SEED", 0))
        self.batch_size, self.seed, self.num_workers = batch_size, seed, num_workers
        self.eval_size, self.eval_seed = eval_size, eval_seed
        self.data_dir = Path(data_dir) if data_dir else cache_dir("counting-transformers")

    def eval_sets(self, stage: str) -> dict[str, dict[str, Any]]:
        """Name -> task parameters of each evaluation set of ``stage`` ("val" or "test")."""
        sets = {"id": dict(self.task)}
        if stage == "test":
            for n, r in self.grid:
                sets[f"L{n}_R{r}"] = {**self.task, "length": n, "regions": r}
        return sets

    def _directory(self, name: str, task: dict[str, Any]) -> Path:
        described = json.dumps(
            {"task": task, "size": self.eval_size, "seed": self.eval_seed, "name": name},
            sort_keys=True,
            default=list,
        )
        return self.data_dir / f"{name}-{hashlib.sha256(described.encode()).hexdigest()[:12]}"

    def prepare_data(self) -> None:
        """Writes the evaluation sets that ``data_dir`` lacks; runs started together in one folder
        share them: one process writes while the others wait on a lock, then read."""
        sets = {**self.eval_sets("val"), **self.eval_sets("test")}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _locked(self.data_dir):
            for index, (name, task) in enumerate(sets.items()):
                directory = self._directory(name, task)
                if (directory / "manifest.json").exists():
                    continue
                samples = generate(
                    self.eval_size, seed=self.eval_seed + index, max_count=self.max_count, **task
                )
                per_shard = -(-self.eval_size // SHARDS_PER_SET)
                write_shards(sample_dicts(samples), directory, max_count=per_shard, overwrite=True)

    def train_dataloader(self) -> DataLoader:
        stream = CountingStream(self.batch_size, self.seed, max_count=self.max_count, **self.task)
        return DataLoader(stream, batch_size=None, num_workers=self.num_workers)

    def _loaders(self, stage: str) -> list[DataLoader]:
        return [
            DataLoader(
                shard_dataset(self._directory(name, task), num_workers=self.num_workers),
                batch_size=self.batch_size,
                collate_fn=partial(collate, name=name),
                num_workers=self.num_workers,
            )
            for name, task in self.eval_sets(stage).items()
        ]

    def val_dataloader(self) -> list[DataLoader]:
        return self._loaders("val")

    def test_dataloader(self) -> list[DataLoader]:
        return self._loaders("test")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive flock on the folder itself, released when the block ends."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
