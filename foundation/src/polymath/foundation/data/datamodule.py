"""ShardDataModule: train/val/test shard sets behind torch DataLoaders, safe under DDP."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import lightning

from polymath.foundation.data.loader import ShardLoader
from polymath.foundation.data.reader import ShardDataset, shard_dataset
from polymath.foundation.data.sources import Source
from polymath.foundation.data.splitting import rank_length

# ShardDataset's length is deliberately per rank and exact (from the manifest), which is what
# Lightning's generic warning about iterable datasets with a length cautions against.
warnings.filterwarnings("ignore", message=r"Your `IterableDataset` has `__len__` defined")


def _plain(source: Source | None):
    """Sources as plain data, so that hyperparameters log cleanly."""
    if source is None or isinstance(source, str):
        return source
    if isinstance(source, Path):
        return str(source)
    return [str(item) for item in source]


class ShardDataModule(lightning.LightningDataModule):
    """Shard sets for fit/validate/test, batched in the DataLoader workers.

    Each rank reads a disjoint set of shards (rank and world size come from the trainer); each
    worker a disjoint part of those. Before any iteration the training split is checked: fewer
    shards than ranks x workers, or ranks that would get different numbers of batches (a DDP hang),
    raise a ValueError naming the numbers. `resampled=True` with `epoch_length` (samples per rank)
    lifts both limits. Validation and test sets are read in order, without shuffling. The loaders
    are ShardLoaders: Lightning checkpoints the training stream's position and a resumed fit
    continues it exactly.
    """

    def __init__(
        self,
        train: Source | None = None,
        val: Source | None = None,
        test: Source | None = None,
        *,
        batch_size: int = 32,
        num_workers: int = 0,
        shuffle: int = 1000,
        seed: int = 0,
        resampled: bool = False,
        epoch_length: int | None = None,
        verify: bool = True,
        on_corrupt: str = "raise",
        fields: list[str] | None = None,
        drop_last: bool = False,
        pin_memory: bool = False,
        persistent_workers: bool = True,
    ):
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.save_hyperparameters(
            {"train": _plain(train), "val": _plain(val), "test": _plain(test)}
            | {"batch_size": batch_size, "num_workers": num_workers, "shuffle": shuffle}
            | {"seed": seed, "resampled": resampled, "epoch_length": epoch_length}
            | {"verify": verify, "on_corrupt": on_corrupt, "fields": fields}
            | {"drop_last": drop_last, "pin_memory": pin_memory}
            | {"persistent_workers": persistent_workers}
        )
        self.sources = {"train": train, "val": val, "test": test}
        self._train_loader: ShardLoader | None = None
        self._train_state: dict[str, Any] | None = None
        if val is None:
            self.val_dataloader = None
        if test is None:
            self.test_dataloader = None

    def _placement(self) -> tuple[int, int]:
        if self.trainer is None:
            return 0, 1
        return self.trainer.global_rank, self.trainer.world_size

    def _check_even(self, dataset: ShardDataset, world_size: int) -> None:
        """Under DDP every rank must run the same number of training batches, or training hangs."""
        counts = dataset.shards.counts
        if world_size == 1 or dataset.resampled:
            return
        if counts is None:
            raise ValueError(
                "training shards without a manifest under DDP: per-rank lengths are "
                "unknown; give a manifest or use resampled=True with epoch_length"
            )
        hp = self.hparams
        batches = [
            rank_length(
                counts,
                rank,
                world_size,
                hp.num_workers,
                resampled=False,
                epoch_length=None,
                batch_size=hp.batch_size,
                drop_last=hp.drop_last,
            )
            for rank in range(world_size)
        ]
        if len(set(batches)) > 1:
            raise ValueError(
                f"{len(counts)} shards over {world_size} ranks x {max(hp.num_workers, 1)} workers "
                f"give the ranks {batches} training batches; DDP needs equal counts or it hangs: "
                "write shards of equal sample counts, a multiple of ranks x workers, or use "
                "resampled=True with epoch_length"
            )

    def _loader(self, split: str) -> ShardLoader:
        hp = self.hparams
        rank, world_size = self._placement()
        training = split == "train"
        dataset = shard_dataset(
            self.sources[split],
            shuffle=hp.shuffle if training else 0,
            seed=hp.seed,
            resampled=hp.resampled and training,
            epoch_length=hp.epoch_length if training else None,
            verify=hp.verify,
            on_corrupt=hp.on_corrupt,
            fields=hp.fields,
            batch_size=hp.batch_size,
            drop_last=hp.drop_last and training,
            num_workers=hp.num_workers,
            rank=rank,
            world_size=world_size,
        )
        if training:
            self._check_even(dataset, world_size)
        return ShardLoader(
            dataset,
            num_workers=hp.num_workers,
            pin_memory=hp.pin_memory,
            persistent_workers=hp.persistent_workers and hp.num_workers > 0,
        )

    def train_dataloader(self) -> ShardLoader:
        if self.sources["train"] is None:
            raise ValueError("ShardDataModule has no train source")
        self._train_loader = self._loader("train")
        if self._train_state is not None:
            self._train_loader.load_state_dict(self._train_state)
            self._train_state = None
        return self._train_loader

    def state_dict(self) -> dict[str, Any]:
        """The training stream's position, which Lightning saves in every checkpoint.

        Lightning restores a datamodule before `configure_optimizers` can build the loader (by
        reading `trainer.estimated_stepping_batches`), whereas the fit loop's own loader states
        arrive after it and are then skipped (Lightning issue #20550): this way the position
        reaches the loader whenever it is built.
        """
        if self._train_loader is None:
            return {}
        return {"train": self._train_loader.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._train_state = state_dict.get("train")

    def val_dataloader(self) -> ShardLoader:
        return self._loader("val")

    def test_dataloader(self) -> ShardLoader:
        return self._loader("test")
