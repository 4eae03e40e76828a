"""ShardLoader: a DataLoader over a ShardDataset that can stop mid-epoch and resume exactly."""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Iterator
from typing import Any

from torch.utils.data import DataLoader

from polymath.foundation.data.errors import WorkerFailure
from polymath.foundation.data.reader import ShardDataset


def _as_made(batch: Any) -> Any:
    """Batches leave the workers as the dataset made them (torch's default walks every value)."""
    return batch


class ShardLoader(DataLoader):
    """Batches of a ShardDataset (batched in the workers), with `state_dict`/`load_state_dict`.

    The state is the epoch in progress and the batches this loader has yielded in it, counted in
    the main process, so workers running ahead do not matter. Lightning saves it in every
    checkpoint (the fit loop's `combined_loader` entry, for any train loader that has these two
    methods) and loads it before the resumed run's first batch; the resumed epoch then yields
    exactly the batches the uninterrupted run would have (see resume.py for how).
    Errors raised in workers arrive as their own type with their one-line message.

    An iteration's workers stop when it ends or is dropped; `close()` stops persistent workers,
    which the loader keeps, at once. Left to the garbage collector (a LightningDataModule is always
    in a reference cycle, so anything it holds is freed by it), each worker would cost torch's
    5 s join timeout: the collector closes the worker queues before the iterator can send them
    the stop signal.
    """

    def __init__(self, dataset: ShardDataset, **kwargs: Any):
        super().__init__(dataset, batch_size=None, collate_fn=_as_made, **kwargs)
        self._epoch = 0
        self._skip = 0
        self._position: list[int] | None = None
        self._started: list[int] | None = None
        self._last_iterator: weakref.ref[Iterator[Any]] | None = None

    def __iter__(self) -> Iterator[Any]:
        if self._position is not None and self._position == self._started:
            self._epoch, self._skip = self._position  # an epoch that gave nothing starts over
        dataset = self.dataset
        dataset.epoch, dataset.skip_batches, dataset.report_errors = self._epoch, self._skip, True
        self._position, self._started = [self._epoch, self._skip], [self._epoch, self._skip]
        self._epoch, self._skip = self._epoch + 1, 0
        batches = super().__iter__()
        self._last_iterator = weakref.ref(batches)  # whoever iterates owns it, and frees it
        return self._counted(batches, self._position)

    def _counted(self, batches: Iterator[Any], position: list[int]) -> Iterator[Any]:
        for batch in batches:
            if isinstance(batch, WorkerFailure):
                self.close()
                batch.reraise()
            position[1] += 1
            yield batch

    def close(self) -> None:
        """Stop the workers now: those of the iteration in progress and persistent ones."""
        last = self._last_iterator() if self._last_iterator is not None else None
        for iterator in (getattr(self, "_iterator", None), last):
            if iterator is not None and hasattr(iterator, "_shutdown_workers"):
                iterator._shutdown_workers()
        self._iterator = self._last_iterator = None

    def _placement(self) -> dict[str, Any]:
        dataset = self.dataset
        world_size = dataset._where()[1]
        return {"num_workers": self.num_workers, "world_size": world_size, "seed": dataset.seed}

    def state_dict(self) -> dict[str, Any]:
        """{"epoch", "batches"} of the epoch in progress (or of the next one), and the placement
        they are exact for."""
        epoch, batches = self._position if self._position else (self._epoch, self._skip)
        return {"epoch": epoch, "batches": batches, **self._placement()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Make the next iteration resume `state`'s epoch after its `batches` batches."""
        epoch, batches = int(state["epoch"]), int(state["batches"])
        changed = {
            key: (state[key], value)
            for key, value in self._placement().items()
            if key in state and state[key] != value
        }
        if changed:
            warnings.warn(
                "resuming a shard stream with other settings (saved, now): "
                + ", ".join(f"{key} {old} -> {new}" for key, (old, new) in changed.items())
                + "; the rest of the epoch will not match the uninterrupted run",
                stacklevel=2,
            )
        try:
            length = len(self)
        except TypeError:
            length = None
        if length is not None and batches >= length:
            epoch, batches = epoch + 1, 0
        self._epoch, self._skip, self._position = epoch, batches, None
        self.close()  # persistent workers would go on from the old position
