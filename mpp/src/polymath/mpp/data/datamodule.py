"""The MPP LightningDataModule: a mixture of PDE datasets read lazily from HDF5 files."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from torch.utils.data import DataLoader

from polymath.foundation.cache import cache_dir as foundation_cache
from polymath.mpp.data.generate import generate
from polymath.mpp.data.sampler import MixedBatchStream, Sampling
from polymath.mpp.data.windows import Split, WindowDataset
from polymath.mpp.fields import DatasetSpec, get_dataset


class MPPDataModule(L.LightningDataModule):
    """Windows of ``history`` frames and the next one from several datasets.

    With ``root`` it reads the files found there (the published PDEBench/Well files or our own);
    without it, it simulates ``trajectories`` per dataset at ``resolution``² once and caches them
    in ``cache_dir`` (default: foundation's cache folder, ``$POLYMATH_CACHE/mpp``). Training draws
    one dataset per micro-batch; validation and test have one loader per dataset, so the module
    can report every dataset and field by name.
    """

    def __init__(
        self,
        datasets: list[str] = ["swe", "diffre2d", "cns_m0.1", "cns_m1.0"],  # noqa: B006
        root: str | None = None,
        cache_dir: str | None = None,
        resolution: int = 32,
        trajectories: int = 64,
        frames: int = 21,
        simulation_seed: int = 0,
        history: int = 4,
        batch_size: int = 8,
        batches_per_epoch: int = 200,
        sampling: Sampling = "uniform",
        max_train_trajectories: int | None = None,
        num_workers: int = 0,
        split_seed: int = 0,
        progress: bool = True,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.specs: list[DatasetSpec] = [get_dataset(name) for name in datasets]
        self._root: Path | None = Path(root) if root else None
        self.splits: dict[str, list[WindowDataset]] = {}

    @property
    def root(self) -> Path:
        if self._root is None:
            hp = self.hparams
            self._root = generate(
                hp.cache_dir or foundation_cache("mpp"),
                hp.datasets,
                hp.trajectories,
                hp.resolution,
                hp.frames,
                hp.simulation_seed,
                hp.progress,
            )
        return self._root

    @property
    def dataset_names(self) -> list[str]:
        return [spec.name for spec in self.specs]

    @property
    def n_states(self) -> int:
        """Embedding slots the model needs for these datasets."""
        return max(max(spec.slots) for spec in self.specs) + 1

    def prepare_data(self) -> None:
        self.root  # noqa: B018 - simulates and caches on rank 0 before any process reads

    def split(self, split: Split) -> list[WindowDataset]:
        if split not in self.splits:
            hp = self.hparams
            limit = hp.max_train_trajectories if split == "train" else None
            self.splits[split] = [
                WindowDataset(spec, self.root, hp.history, split, limit, index, hp.split_seed)
                for index, spec in enumerate(self.specs)
            ]
        return self.splits[split]

    def setup(self, stage: str | None = None) -> None:
        self.split("train" if stage in (None, "fit") else "test")

    def _loader_kwargs(self) -> dict:
        workers = self.hparams.num_workers
        return {"num_workers": workers, "persistent_workers": workers > 0}

    def train_dataloader(self) -> DataLoader:
        trainer = self.trainer
        stream = MixedBatchStream(
            self.split("train"),
            self.hparams.batch_size,
            self.hparams.batches_per_epoch,
            self.hparams.sampling,
            seed=self.hparams.split_seed,
            rank=trainer.global_rank if trainer else 0,
            world_size=trainer.world_size if trainer else 1,
        )
        return DataLoader(stream, batch_size=None, **self._loader_kwargs())

    def _per_dataset(self, split: Split) -> list[DataLoader]:
        return [
            DataLoader(
                dataset, batch_size=self.hparams.batch_size, shuffle=False, **self._loader_kwargs()
            )
            for dataset in self.split(split)
        ]

    def val_dataloader(self) -> list[DataLoader]:
        return self._per_dataset("val")

    def test_dataloader(self) -> list[DataLoader]:
        return self._per_dataset("test")
