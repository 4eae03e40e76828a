"""The reference's multi-dataset sampling, as a stream of micro-batches.

Every micro-batch comes from one dataset (the shared field embedding uses the first sample's fields
for the whole batch). Datasets are drawn uniformly, as in the reference, or in proportion to their
size. Under DDP, every rank sees the same sequence of datasets but disjoint windows, and the same
number of micro-batches. A stream rather than a batch sampler: Lightning leaves iterable datasets
alone instead of wrapping their sampler in a ``DistributedSampler``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, default_collate, get_worker_info

Sampling = Literal["uniform", "size"]


class MixedBatchStream(IterableDataset):
    """``batches_per_epoch`` micro-batches per epoch and rank, each from a single dataset.

    The epoch counter advances on every pass, so with DataLoader workers keep them persistent.
    """

    def __init__(
        self,
        datasets: Sequence[Dataset],
        batch_size: int,
        batches_per_epoch: int,
        sampling: Sampling = "uniform",
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        sizes = np.array([len(dataset) for dataset in datasets])
        if (sizes < world_size).any():
            raise ValueError(
                f"every dataset needs at least {world_size} windows (sizes: {sizes.tolist()})"
            )
        self.datasets = list(datasets)
        self.batch_size = batch_size
        self.batches_per_epoch = batches_per_epoch
        self.weights = (
            np.full(len(sizes), 1.0 / len(sizes)) if sampling == "uniform" else sizes / sizes.sum()
        )
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0

    def __len__(self) -> int:
        return self.batches_per_epoch

    def batch_indices(self, epoch: int) -> list[tuple[int, list[int]]]:
        """(dataset, window indices) of every micro-batch this rank draws in ``epoch``."""
        choice_rng = np.random.default_rng([self.seed, epoch])
        choices = choice_rng.choice(len(self.datasets), size=self.batches_per_epoch, p=self.weights)
        queues: list[list[int]] = [[] for _ in self.datasets]
        cycles = [0] * len(self.datasets)
        batches = []
        for dataset in choices:
            queue = queues[dataset]
            while len(queue) < self.batch_size:
                order = np.random.default_rng(
                    [self.seed, epoch, dataset, cycles[dataset]]
                ).permutation(len(self.datasets[dataset]))
                usable = len(order) - len(order) % self.world_size  # equal shares per rank
                queue.extend(order[self.rank : usable : self.world_size].tolist())
                cycles[dataset] += 1
            batches.append((int(dataset), queue[: self.batch_size]))
            del queue[: self.batch_size]
        return batches

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        batches = self.batch_indices(self.epoch)
        self.epoch += 1
        worker = get_worker_info()
        mine = batches if worker is None else batches[worker.id :: worker.num_workers]
        for dataset, indices in mine:
            yield default_collate([self.datasets[dataset][index] for index in indices])
