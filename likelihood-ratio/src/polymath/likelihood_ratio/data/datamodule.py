"""In-memory LightningDataModule for a two-sample problem: train/val split, fixed exact-ratio test set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from polymath.likelihood_ratio.data.datasets import RatioProblem, get_dataset


class RatioDataModule(L.LightningDataModule):
    """Draws `n` samples once (seed), splits off `val_fraction`, batches `batch_fraction` of `n`.

    The reference uses batch = int(0.1 n) and a 75/25 split; the test set (`n_test` points, its own
    seed) carries the exact ratio and is shared by every configuration trained on this module.
    Inputs are not transformed here: `standardization` gives the training mean/std for the model.
    """

    def __init__(
        self,
        dataset: str = "normal",
        dataset_params: Mapping[str, Any] | None = None,
        n: int = 100_000,
        val_fraction: float = 0.25,
        batch_fraction: float = 0.1,
        n_test: int = 100_000,
        seed: int = 666,
        test_seed: int = 667,
    ) -> None:
        super().__init__()
        if not 0 < val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
        if not 0 < batch_fraction <= 1:
            raise ValueError(f"batch_fraction must be in (0, 1], got {batch_fraction}")
        if n < 4:
            raise ValueError(f"n must be at least 4, got {n}")
        self.save_hyperparameters(logger=False)  # foundation logs the resolved configuration
        self.problem: RatioProblem = get_dataset(dataset, **dict(dataset_params or {}))
        self.batch_size = max(1, int(batch_fraction * n))
        self._train: TensorDataset | None = None

    @property
    def dim(self) -> int:
        return self.problem.dim

    def setup(self, stage: str | None = None) -> None:
        if self._train is not None:
            return
        x, y = self.problem.sample(self.hparams.n, self.hparams.seed)
        order = np.random.default_rng(self.hparams.seed).permutation(len(x))
        n_val = round(self.hparams.val_fraction * len(x))
        val, train = order[:n_val], order[n_val:]
        self._train = TensorDataset(torch.from_numpy(x[train]), torch.from_numpy(y[train]))
        self._val = TensorDataset(torch.from_numpy(x[val]), torch.from_numpy(y[val]))
        x_test, y_test = self.problem.sample(self.hparams.n_test, self.hparams.test_seed)
        lr_test = self.problem.likelihood_ratio(x_test).astype(np.float32)
        self._test = TensorDataset(*(torch.from_numpy(a) for a in (x_test, y_test, lr_test)))
        x_train = self._train.tensors[0]
        self.standardization = (x_train.mean(0), x_train.std(0).clamp_min(1e-12))

    def train_dataloader(self) -> DataLoader:
        generator = torch.Generator().manual_seed(self.hparams.seed)
        return DataLoader(self._train, self.batch_size, shuffle=True, generator=generator)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self._val, self.batch_size)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self._test, max(self.batch_size, 10_000))

    def test_arrays(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x, y, exact ratio) of the fixed test set."""
        self.setup()
        return self._test.tensors
