"""Batches for a batched ensemble whose members train on different subsets of the same stars."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor
from torch.utils.data import IterableDataset


class MemberBatches(IterableDataset):
    """Yields (x, y, weight) of shapes (members, batch, features), (members, batch), (members, batch).

    Row k of a batch holds stars of member k's own subset (``masks[k]``), so every member walks
    through its subset once per epoch in batches of ``batch_size``, as a model trained alone would.
    Subsets of unequal size are padded at the end with weight 0. With ``shuffle`` each epoch draws
    new orders from (seed, epoch).
    """

    def __init__(
        self,
        features: Tensor,
        labels: Tensor,
        masks: Tensor,
        batch_size: int,
        shuffle: bool,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.features, self.labels, self.masks = features, labels.float(), masks.bool()
        self.counts = self.masks.sum(1)
        self.length = int(self.counts.max())
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.epoch = 0

    def __len__(self) -> int:
        return -(-self.length // self.batch_size)

    def _orders(self) -> Tensor:
        n = self.masks.shape[1]
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
            keys = torch.rand(self.masks.shape, generator=generator)
        else:
            keys = torch.arange(n, dtype=torch.float32).expand(self.masks.shape) / n
        keys = torch.where(self.masks, keys, keys + 2.0)
        return keys.argsort(dim=1)[:, : self.length]

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
        order = self._orders()
        self.epoch += 1
        valid = torch.arange(self.length)[None, :] < self.counts[:, None]
        for start in range(0, self.length, self.batch_size):
            index = order[:, start : start + self.batch_size]
            yield (
                self.features[index],
                self.labels[index],
                valid[:, start : start + self.batch_size],
            )
