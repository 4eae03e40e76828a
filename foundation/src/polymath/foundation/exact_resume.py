"""Exact resume: the checkpoint holds where every training stream stood and the random states.

A training stream is resumable when its dataset has ``state_dict()`` and ``load_state_dict(state)``
(the infinite generators of the packages); its ``__iter__`` must start from its loaded state, or
from its beginning. A state is recorded as each batch is made and adopted when the trainer takes
that batch (Lightning fetches a batch ahead): a checkpoint at step k resumes with batch k + 1.

Read in the main process (``num_workers=0``), the dataset's state is recorded by the loader's collate
function. Lightning sets up the training data, and fetches that batch ahead, before any callback hook
runs; here that batch is discarded and fetched again once the streams are tracked and restored.

Read by DataLoader workers, each worker's copy of the dataset reports its state beside its batches:
a plain ``DataLoader`` of such an ``IterableDataset`` that ``train_dataloader`` returns is rebuilt,
with the same settings, as a torchdata ``StatefulDataLoader`` (``data.worker_streams``). Its
state holds every worker's dataset state and which worker's turn is next; Lightning saves and
restores it as it does any stateful loader.

DataLoaders with their own ``state_dict`` (foundation's ``ShardLoader``) are saved and restored by
Lightning, except when ``configure_optimizers`` reads ``trainer.estimated_stepping_batches`` in a fit
bounded by epochs: the data is then set up before the checkpoint is restored and the saved states
are silently skipped (Lightning issue #20550). They are given those states here.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np
import torch
from lightning import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_warn
from lightning.pytorch.utilities.model_helpers import is_overridden
from torch.utils.data import DataLoader

from polymath.foundation.data.worker_streams import (
    WorkerStreamLoader,
    is_resumable,
    with_worker_streams,
)


class _RecordingCollate:
    """The loader's collate function, recording the dataset's state after each batch it makes."""

    def __init__(self, collate: Callable[[Any], Any], dataset: Any) -> None:
        self.collate, self.dataset = collate, dataset
        self.made: deque[Any] = deque()

    def __call__(self, samples: Any) -> Any:
        batch = self.collate(samples)
        self.made.append(self.dataset.state_dict())
        return batch


def _worker_streams_of(train_dataloader: Callable[[], Any]) -> Any:
    return with_worker_streams(train_dataloader())


class _Stream:
    """One training DataLoader without workers whose dataset is resumable."""

    def __init__(self, loader: DataLoader) -> None:
        self.loader = loader
        self.position: Any = None
        collate = loader.collate_fn
        if isinstance(collate, _RecordingCollate):  # a second fit with the same loader
            collate = collate.collate
        self.recorder = _RecordingCollate(collate, loader.dataset)
        loader.collate_fn = self.recorder

    def take(self) -> None:
        """The trainer takes the oldest batch made: the stream now stands after it."""
        if self.recorder.made:
            self.position = self.recorder.made.popleft()

    def restore(self, position: Any) -> None:
        if position is not None:
            self.loader.dataset.load_state_dict(position)
        self.position = position
        self.recorder.made.clear()


class ExactResume(Callback):
    """Saves each training stream's position and the random generators' states in checkpoints.

    Restored when a fit resumes, so that a run killed at any step and resumed ends where an
    uninterrupted run ends (bitwise on CPU with ``deterministic=True``). A stream read by workers is
    exact when ``train_dataloader`` (of the datamodule or the module) returns it as a plain
    ``DataLoader``; one given to ``trainer.fit`` directly restarts on resume, with a warning.
    """

    def __init__(self) -> None:
        self._streams: list[_Stream] = []
        self._worker_streams: list[WorkerStreamLoader] = []
        self._trainer: Trainer | None = None
        self._loaded: dict[str, Any] | None = None
        self._wrapped: LightningModule | LightningDataModule | None = None

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        """Before Lightning asks for the training data: streams read by workers become stateful."""
        owner = trainer.datamodule if trainer.datamodule is not None else pl_module
        if stage != "fit" or not is_overridden("train_dataloader", owner):
            return
        owner.train_dataloader = partial(_worker_streams_of, owner.train_dataloader)
        self._wrapped = owner

    def teardown(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if self._wrapped is not None:
            vars(self._wrapped).pop("train_dataloader", None)  # the class's method again
            self._wrapped = None

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._trainer = trainer
        self._streams, self._worker_streams = [], []
        for loader in _loaders(trainer.train_dataloader):
            if isinstance(loader, WorkerStreamLoader):
                self._worker_streams.append(loader)
            elif not is_resumable(getattr(loader, "dataset", None)):
                continue
            elif loader.num_workers > 0:
                rank_zero_warn(
                    "a resumable training stream read by DataLoader workers and given to "
                    "trainer.fit directly restarts on resume; return it from train_dataloader "
                    "for an exact resume"
                )
            else:
                self._streams.append(_Stream(loader))
        loaded = _load_skipped_loader_states(trainer)
        mine = self._mine(trainer.global_rank)
        if mine is not None:
            self._restore_streams(mine["streams"])
            loaded |= self._restore_worker_streams(mine.get("worker_streams", []))
        rng = mine["rng"] if mine is not None else _rng_states()
        fetcher = getattr(trainer.fit_loop, "_data_fetcher", None)
        if (self._streams or loaded) and fetcher is not None:
            # Lightning drew a batch ahead before the streams were tracked and restored
            for loader in self._worker_streams:
                loader.load_state_dict(loader.state_dict())  # drawn again from where they stand
            iter(fetcher)
        _set_rng_states(rng)  # last: a new DataLoader iterator draws its base seed from torch

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        for stream in [*self._streams, *self._worker_streams]:
            stream.take()

    def state_dict(self) -> dict[str, Any]:
        mine = {
            "streams": [stream.position for stream in self._streams],
            "worker_streams": [loader.state_dict() for loader in self._worker_streams],
            "rng": _rng_states(),
        }
        return {"ranks": _gather(mine, self._trainer)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._loaded = state_dict

    def _mine(self, rank: int) -> dict[str, Any] | None:
        """This rank's saved state, once, after a resume."""
        loaded, self._loaded = self._loaded, None
        if loaded is None:
            return None
        if rank >= len(loaded["ranks"]):
            rank_zero_warn(
                f"the checkpoint holds the training state of {len(loaded['ranks'])} processes, not "
                f"of rank {rank}: its streams and random generators restart"
            )
            return None
        return loaded["ranks"][rank]

    def _restore_streams(self, positions: list[Any]) -> None:
        if len(positions) != len(self._streams):
            rank_zero_warn(
                f"the checkpoint holds {len(positions)} training stream position(s) but the fit "
                f"has {len(self._streams)} resumable stream(s): the streams restart"
            )
            return
        for stream, position in zip(self._streams, positions, strict=True):
            stream.restore(position)

    def _restore_worker_streams(self, states: list[dict[str, Any]]) -> bool:
        """This rank's own states (Lightning restores rank zero's on every rank)."""
        if len(states) != len(self._worker_streams):
            rank_zero_warn(
                f"the checkpoint holds {len(states)} position(s) of streams read by workers but "
                f"the fit has {len(self._worker_streams)}: they go on from rank zero's position"
            )
            return False
        for loader, state in zip(self._worker_streams, states, strict=True):
            loader.load_state_dict(state)
        return bool(states)


def _load_skipped_loader_states(trainer: Trainer) -> bool:
    """Give stateful DataLoaders (with their own ``state_dict``) the states Lightning skipped.

    Lightning saves them in the fit loop's state and loads them when it sets up the training data,
    unless that happened before the checkpoint was restored (Lightning #20550).
    """
    fit_loop = trainer.fit_loop
    if not getattr(fit_loop, "_combined_loader_states_to_load", None):
        return False
    fit_loop._load_combined_loader_states()
    return True


def _loaders(iterables: Any) -> Iterator[Any]:
    if isinstance(iterables, dict):
        iterables = list(iterables.values())
    if isinstance(iterables, (list, tuple)):
        for item in iterables:
            yield from _loaders(item)
    elif iterables is not None:
        yield iterables


def _gather(mine: dict[str, Any], trainer: Trainer | None) -> list[dict[str, Any]]:
    """Every rank's state, on every rank (the checkpoint is written by rank zero alone)."""
    if trainer is None or trainer.world_size == 1 or not torch.distributed.is_initialized():
        return [mine]
    gathered: list[Any] = [None] * trainer.world_size
    torch.distributed.all_gather_object(gathered, mine)
    return gathered


def _rng_states() -> dict[str, Any]:
    """Plain types and tensors only: Lightning loads checkpoints with ``weights_only=True``."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    states: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": [kind, keys.tolist(), int(position), int(has_gauss), float(cached)],
        "python": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    kind, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached))
    random.setstate(states["python"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
