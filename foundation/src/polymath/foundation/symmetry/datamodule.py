"""Top-tagging jets for the symmetry recipes: toy, generated with Pythia (cached), or published files."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from polymath.foundation.cache import cache_dir
from polymath.foundation.symmetry.jets.format import read_top_tagging, write_top_tagging
from polymath.foundation.symmetry.jets.toy import toy_jets

SPLITS = ("train", "val", "test")


def pythia_files(
    train_pool: int, val_size: int, test_size: int, max_constituents: int, seed: int, cache: Path
) -> Path:
    """Generates (once) half top, half QCD jets per split as top-tagging files; the folder is keyed by parameters."""
    from polymath.foundation.symmetry.jets.pythia import generate_jets

    sizes = {"train": train_pool, "val": val_size, "test": test_size}
    key = json.dumps({"sizes": sizes, "n": max_constituents, "seed": seed, "v": 1}, sort_keys=True)
    folder = cache / f"pythia-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    if all((folder / f"{split}.h5").is_file() for split in SPLITS):
        return folder
    from rich.progress import Progress

    with Progress(transient=False) as progress:
        for offset, split in enumerate(SPLITS):
            if (folder / f"{split}.h5").is_file():
                continue
            jets = sizes[split]
            advance = functools.partial(
                progress.advance, progress.add_task(f"pythia {split}", total=jets)
            )
            top = generate_jets(
                "top",
                jets - jets // 2,
                max_constituents,
                seed * 10 + 2 * offset + 1,
                advance,
            )
            qcd = generate_jets(
                "qcd",
                jets // 2,
                max_constituents,
                seed * 10 + 2 * offset + 2,
                advance,
            )
            labels = np.r_[np.ones(len(top), np.int64), np.zeros(len(qcd), np.int64)]
            order = np.random.default_rng(seed + offset).permutation(len(labels))
            write_top_tagging(
                folder / f"{split}.h5", np.concatenate([top, qcd])[order], labels[order], split
            )
    return folder


class JetDataModule(L.LightningDataModule):
    """Jets as (constituents (n, 4), label) pairs.

    ``source``: ``toy`` (the fast sampler), ``pythia`` (generated once, cached under
    ``$POLYMATH_CACHE/jets``), or a folder holding the published ``train.h5``, ``val.h5``, ``test.h5``.
    ``train_size`` takes the first jets of the training pool, so smaller sets are nested in larger
    ones (the data-efficiency curve compares models on the same jets).
    """

    def __init__(
        self,
        source: str = "toy",
        train_size: int = 1000,
        train_pool: int = 2000,
        val_size: int = 500,
        test_size: int = 1000,
        max_constituents: int = 30,
        batch_size: int = 64,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not 1 <= train_size <= train_pool:
            raise ValueError(
                f"train_size must be in [1, train_pool={train_pool}], got {train_size}"
            )
        if min(val_size, test_size, batch_size, max_constituents) < 1:
            raise ValueError("val_size, test_size, batch_size and max_constituents must be >= 1")
        self.source, self.train_size, self.train_pool = source, train_size, train_pool
        self.val_size, self.test_size = val_size, test_size
        self.max_constituents, self.batch_size, self.seed = max_constituents, batch_size, seed
        self.sets: dict[str, TensorDataset] = {}

    def _arrays(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        n = self.max_constituents
        if self.source == "toy":
            sizes = {"train": self.train_pool, "val": self.val_size, "test": self.test_size}
            return {s: toy_jets(sizes[s], n, seed=self.seed * 3 + k) for k, s in enumerate(SPLITS)}
        if self.source == "pythia":
            folder = pythia_files(
                self.train_pool, self.val_size, self.test_size, n, self.seed, cache_dir("jets")
            )
        else:
            folder = Path(self.source).expanduser()
            if not folder.is_dir():
                raise FileNotFoundError(
                    f"jet source {self.source!r} is neither toy, pythia nor a folder"
                )
        return {s: read_top_tagging(folder / f"{s}.h5", n) for s in SPLITS}

    def setup(self, stage: str | None = None) -> None:
        if self.sets:
            return
        limits = {"train": self.train_size, "val": self.val_size, "test": self.test_size}
        for split, (constituents, labels) in self._arrays().items():
            k = limits[split]
            self.sets[split] = TensorDataset(
                torch.tensor(constituents[:k]), torch.tensor(labels[:k])
            )

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.sets["train"], batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.sets["val"], batch_size=512)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self.sets["test"], batch_size=512)
