"""Streams read by DataLoader workers whose position is that of the batches the trainer took.

A resumable dataset has ``state_dict()`` and ``load_state_dict(state)``. In the main process its
state can be read as each batch is made; in a worker only the worker can read it, so the loader is
torchdata's ``StatefulDataLoader``, whose workers send their dataset's state beside each batch.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Iterator
from typing import Any

from torch.utils.data import DataLoader, IterableDataset
from torchdata.stateful_dataloader import StatefulDataLoader


def is_resumable(dataset: Any) -> bool:
    """Whether the dataset can report and restore its position."""
    return callable(getattr(dataset, "state_dict", None)) and callable(
        getattr(dataset, "load_state_dict", None)
    )


class WorkerStreamLoader(StatefulDataLoader):
    """A resumable ``IterableDataset`` read by DataLoader workers, whose state is that of the batches
    the trainer took.

    torchdata's loader snapshots each worker's dataset state with every batch (and, on load, starts
    the round with the worker whose turn was next); its own ``state_dict`` is that of the batches it
    yielded, one ahead of the trainer. Here the state after each yielded batch is kept until
    :class:`ExactResume` reports that the trainer took that batch.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._made: deque[dict[str, Any]] = deque()
        self._taken: dict[str, Any] = {}

    @classmethod
    def like(cls, loader: DataLoader) -> WorkerStreamLoader:
        """The same loader (dataset, batching, workers, seeding), as a WorkerStreamLoader."""
        return cls(
            loader.dataset,
            batch_size=loader.batch_size,
            drop_last=loader.drop_last,
            collate_fn=loader.collate_fn,
            num_workers=loader.num_workers,
            pin_memory=loader.pin_memory,
            timeout=loader.timeout,
            worker_init_fn=loader.worker_init_fn,
            multiprocessing_context=loader.multiprocessing_context,
            generator=loader.generator,
            prefetch_factor=loader.prefetch_factor,
            persistent_workers=loader.persistent_workers,
            pin_memory_device=loader.pin_memory_device,
            in_order=loader.in_order,
        )

    def __iter__(self) -> Iterator[Any]:
        self._made.clear()
        return self._recorded(super().__iter__())

    def _recorded(self, batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            self._made.append(super().state_dict())
            yield batch

    def take(self) -> None:
        """The trainer takes the oldest batch made: the stream now stands after it."""
        if self._made:
            self._taken = self._made.popleft()

    def state_dict(self) -> dict[str, Any]:
        """The state after the batches taken (``{}``: none yet), and the workers it is for."""
        return {"num_workers": self.num_workers, "loader": self._taken}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """The next iteration starts after the batches of ``state_dict``; running workers stop."""
        taken = state_dict.get("loader", {})
        if taken and state_dict.get("num_workers") != self.num_workers:
            warnings.warn(
                f"a stream read by {state_dict.get('num_workers')} DataLoader workers resumes with "
                f"{self.num_workers}: it restarts",
                stacklevel=2,
            )
            taken = {}
        iterator = getattr(self, "_iterator", None)
        if iterator is not None and hasattr(iterator, "_shutdown_workers"):
            iterator._shutdown_workers()
        super().load_state_dict(taken)
        self._taken, self._made = taken, deque()


def with_worker_streams(loaders: Any) -> Any:
    """``train_dataloader``'s result with each plain DataLoader of a resumable ``IterableDataset``
    read by workers rebuilt as a :class:`WorkerStreamLoader`."""
    if isinstance(loaders, dict):
        return {key: with_worker_streams(value) for key, value in loaders.items()}
    if isinstance(loaders, (list, tuple)):
        return type(loaders)(with_worker_streams(value) for value in loaders)
    if (
        type(loaders) is DataLoader
        and loaders.num_workers > 0
        and isinstance(loaders.dataset, IterableDataset)
        and is_resumable(loaders.dataset)
    ):
        return WorkerStreamLoader.like(loaders)
    return loaders
