"""The LightningDataModule: pairs from the AstroCLIP HDF5 file, real or simulated here.

With ``path`` unset, ``n_pairs`` galaxies are simulated once and cached in the official layout
under ``cache_dir`` (keyed by count and seed), with their true parameters beside them, so later
runs read the file as they would read the real one. Morphology targets are Galaxy Zoo DECaLS
vote fractions: from ``morphology`` (a GZD-5 catalogue cross-matched to the pairs, with a
``targetid`` column) or, for simulated pairs, derived from the true parameters. Train is the first 80% of every group; the
remaining 20% serves as validation and test set, as in the reference. ``raw_images`` hands over
the flux cutouts unprocessed, for the image pretraining's augmentations.
"""

from __future__ import annotations

import functools
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from polymath.astroclip.data.formats import (
    check_astroclip_h5,
    read_astroclip_h5,
    read_catalogue,
    write_astroclip_h5,
    write_catalogue,
)
from polymath.astroclip.data.morphology import (
    GZD5_ANSWERS,
    read_gz_decals,
    simulated_vote_fractions,
)
from polymath.astroclip.data.preprocess import preprocess_images
from polymath.foundation.cache import cache_dir

SIMULATOR_VERSION = 1  # bump when the simulator's output changes, so caches are not reused


class PairDataset(Dataset):
    """Raw image fluxes and spectra, indexable; preprocessing happens per batch in ``collate``."""

    def __init__(self, pairs: dict[str, np.ndarray]) -> None:
        self.images = torch.from_numpy(pairs["images"])
        self.spectra = torch.from_numpy(pairs["spectra"])
        self.redshifts = torch.from_numpy(pairs["redshifts"])

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {
            "images": self.images[index],
            "spectra": self.spectra[index],
            "redshifts": self.redshifts[index],
        }


def collate(items: list[dict[str, torch.Tensor]], raw: bool = False) -> dict[str, torch.Tensor]:
    """Stacks items and turns the flux cutouts into the networks' (B, 3, 144, 144) RGB input,
    unless ``raw`` (image pretraining augments the fluxes itself)."""
    batch = {k: torch.stack([item[k] for item in items]) for k in items[0]}
    if not raw:
        batch["images"] = preprocess_images(batch["images"])
    return batch


def simulated_file(cache_dir: str | Path, n_pairs: int, seed: int) -> Path:
    """The cached simulated file for (n_pairs, seed), simulated and written if absent."""
    path = Path(cache_dir).expanduser() / f"sim-v{SIMULATOR_VERSION}-n{n_pairs}-seed{seed}.h5"
    catalogue = path.with_suffix(".catalogue.npz")
    if not (path.is_file() and catalogue.is_file()):
        from polymath.astroclip.data.simulate import simulate

        pairs = simulate(n_pairs, seed=seed, progress=True)
        write_catalogue(catalogue, pairs["targetids"], pairs["catalogue"])
        write_astroclip_h5(path, pairs)
    return path


class AstroCLIPDataModule(L.LightningDataModule):
    def __init__(
        self,
        path: str | None = None,
        catalogue: str | None = None,
        n_pairs: int = 2000,
        seed: int = 0,
        cache_dir: str | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
        raw_images: bool = False,
        morphology: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False)
        if n_pairs < 10:
            raise ValueError(f"n_pairs must be at least 10 (one per group), got {n_pairs}")
        if path:
            check_astroclip_h5(path)  # a wrong file fails here, before any run exists
        if morphology:
            read_gz_decals(morphology, id_column="targetid")

    @property
    def file(self) -> Path:
        h = self.hparams
        return Path(h.path) if h.path else simulated_file(self._cache, h.n_pairs, h.seed)

    @property
    def _cache(self) -> Path:
        """``cache_dir``, else foundation's cache folder (``$POLYMATH_CACHE/astroclip``)."""
        return Path(self.hparams.cache_dir) if self.hparams.cache_dir else cache_dir("astroclip")

    @property
    def catalogue_file(self) -> Path | None:
        if self.hparams.catalogue:
            return Path(self.hparams.catalogue)
        return None if self.hparams.path else self.file.with_suffix(".catalogue.npz")

    def prepare_data(self) -> None:
        """Simulates and caches the pairs once, before ``setup`` reads them."""
        if not self.hparams.path:
            simulated_file(self._cache, self.hparams.n_pairs, self.hparams.seed)

    def setup(self, stage: str | None = None) -> None:
        self.pairs = {split: read_astroclip_h5(self.file, split) for split in ("train", "test")}
        self.train_set, self.test_set = (
            PairDataset(self.pairs["train"]),
            PairDataset(self.pairs["test"]),
        )

    def properties(self, split: str) -> dict[str, np.ndarray]:
        """Redshift and, where a catalogue exists, the true physical properties of a split."""
        columns = {"redshift": self.pairs[split]["redshifts"]}
        if self.catalogue_file is not None:
            columns.update(read_catalogue(self.catalogue_file, self.pairs[split]["targetids"]))
        return columns

    def morphology(self, split: str) -> dict[str, np.ndarray] | None:
        """Galaxy Zoo vote fractions (n, answers) per question for a split, NaN where a galaxy has
        no votes; None when there are no morphology targets."""
        targetids = self.pairs[split]["targetids"]
        if self.hparams.morphology:
            votes = read_gz_decals(self.hparams.morphology, id_column="targetid")
            order = {int(i): row for row, i in enumerate(votes["ids"])}
            rows = np.array([order.get(int(t), -1) for t in targetids])
            return {
                q: np.where(rows[:, None] >= 0, v[rows], np.nan)
                for q, v in votes.items()
                if q in GZD5_ANSWERS
            }
        if self.catalogue_file is None:
            return None
        columns = read_catalogue(self.catalogue_file, targetids)
        if not {"bulge_fraction", "ellipticity"} <= set(columns):
            return None
        return simulated_vote_fractions(columns)

    def _loader(self, dataset: Dataset, shuffle: bool) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.hparams.batch_size,
            shuffle=shuffle,
            drop_last=shuffle,
            collate_fn=functools.partial(collate, raw=self.hparams.raw_images),
            num_workers=self.hparams.num_workers,
        )

    def split_dataloader(self, split: str) -> DataLoader:
        """A split in file order, for embedding it."""
        return self._loader(self.train_set if split == "train" else self.test_set, shuffle=False)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.test_set, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test_set, shuffle=False)


class ArrayDataModule(L.LightningDataModule):
    """``{"inputs", "targets"}`` batches from in-memory arrays (the supervised baselines)."""

    def __init__(
        self,
        train: tuple[np.ndarray, np.ndarray],
        test: tuple[np.ndarray, np.ndarray],
        batch_size: int = 64,
    ) -> None:
        super().__init__()
        self.sets = {
            split: [
                {"inputs": torch.from_numpy(x), "targets": torch.from_numpy(y)}
                for x, y in zip(*arrays)
            ]
            for split, arrays in (("train", train), ("test", test))
        }
        self.batch_size = batch_size

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        return DataLoader(
            self.sets[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            drop_last=shuffle,
            collate_fn=lambda items: {k: torch.stack([i[k] for i in items]) for k in items[0]},
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
