"""Windows of consecutive frames from the trajectories of one dataset, split by trajectory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from polymath.mpp.data.formats import FormatError, TrajectoryFile, find_files
from polymath.mpp.fields import DatasetSpec

Split = Literal["train", "val", "test"]
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
_WELL_TO_SPLIT = {"train": "train", "valid": "val", "test": "test"}


@dataclass(frozen=True)
class TrajectoryRef:
    file: int
    index: int


def split_trajectories(
    refs: Sequence[TrajectoryRef], files: Sequence[TrajectoryFile], seed: int = 0
) -> dict[str, list[TrajectoryRef]]:
    """0.8/0.1/0.1 of the trajectories after a seeded shuffle; the Well's own split where it has one."""
    splits: dict[str, list[TrajectoryRef]] = {"train": [], "val": [], "test": []}
    free = []
    for ref in refs:
        well = files[ref.file].well_split()
        if well is None:
            free.append(ref)
        else:
            splits[_WELL_TO_SPLIT[well]].append(ref)
    order = np.random.default_rng(seed).permutation(len(free))
    n_train = round(SPLIT_FRACTIONS[0] * len(free))
    n_val = round(SPLIT_FRACTIONS[1] * len(free))
    for position, index in enumerate(order):
        split = "train" if position < n_train else "val" if position < n_train + n_val else "test"
        splits[split].append(free[index])
    return splits


class WindowDataset(Dataset):
    """(history frames, next frame) windows of one dataset's split.

    Items are dicts: ``x`` (history, fields, H, W), ``y`` (fields, H, W), ``fields`` (the fields'
    embedding slots), ``bcs`` (1 where an axis is periodic, order x then y), ``dataset`` (its index
    in the mixture), ``trajectory`` and ``index`` (the window's).
    """

    def __init__(
        self,
        spec: DatasetSpec,
        root: str | Path,
        history: int,
        split: Split = "train",
        max_trajectories: int | None = None,
        dataset_index: int = 0,
        seed: int = 0,
    ) -> None:
        self.spec = spec
        self.history = history
        self.dataset_index = dataset_index
        paths = find_files(root, spec)
        if not paths:
            raise FormatError(
                f"dataset {spec.name!r}: no *.h5/*.hdf5 file under {root} matches {spec.pattern!r}"
            )
        self.files = [TrajectoryFile(path, spec) for path in paths]
        shapes = {file.shape for file in self.files}
        if len(shapes) > 1:
            raise FormatError(
                f"dataset {spec.name!r}: files of different resolutions {sorted(shapes)}; name "
                f"one per resolution, e.g. {spec.base}:{min(shapes)[0]} and {spec.base}:{max(shapes)[0]}"
            )
        refs = [
            TrajectoryRef(f, i)
            for f, file in enumerate(self.files)
            for i in range(file.n_trajectories)
        ]
        self.trajectories = split_trajectories(refs, self.files, seed)[split][:max_trajectories]
        for ref in self.trajectories:
            frames = self.files[ref.file].n_frames
            if frames < history + 1:
                raise FormatError(
                    f"dataset {spec.name!r}: {self.files[ref.file].path.name} has {frames} frames per "
                    f"trajectory, too few for {history} history frames plus a target"
                )
        counts = [self.files[ref.file].n_frames - history for ref in self.trajectories]
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.slots = torch.tensor(spec.slots, dtype=torch.long)
        self.bcs = torch.tensor([int(spec.periodic)] * 2, dtype=torch.long)

    @property
    def shape(self) -> tuple[int, int]:
        return self.files[0].shape

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def locate(self, index: int) -> tuple[int, int]:
        """(trajectory position in this split, first frame) of window ``index``."""
        if not 0 <= index < len(self):
            raise IndexError(f"window {index} out of range for {len(self)} windows")
        position = int(np.searchsorted(self._offsets, index, side="right") - 1)
        return position, int(index - self._offsets[position])

    def trajectory(self, position: int, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Frames of the split's trajectory ``position`` (frames, fields, H, W)."""
        ref = self.trajectories[position]
        file = self.files[ref.file]
        return torch.from_numpy(
            file.read(ref.index, start, file.n_frames if stop is None else stop)
        )

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        position, start = self.locate(index)
        frames = self.trajectory(position, start, start + self.history + 1)
        return {
            "x": frames[:-1],
            "y": frames[-1],
            "fields": self.slots,
            "bcs": self.bcs,
            "dataset": self.dataset_index,
            "trajectory": position,
            "index": index,
        }
