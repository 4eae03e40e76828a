"""The AstroCLIP HDF5 layout (``astroclip_desi.1.1.5.h5``): a writer for simulated pairs and the
reader a user points at the real file.

The file holds groups "0" to "9", each with ``images`` (N, 152, 152, 3) float32 g,r,z fluxes,
``spectra`` (N, 7781, 1), ``redshifts`` (N,) and ``targetids`` (N,). The reference's dataset
builder keeps the first 80% of every group for training and the rest for testing. The simulator's
true parameters go to a separate catalogue file keyed by ``targetids``, as PROVABGS is for the
real data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

import h5py
import numpy as np

GROUPS = tuple(str(i) for i in range(10))
TRAIN_FRACTION = 0.8
_SHAPES = {"images": (152, 152, 3), "spectra": (7781, 1), "redshifts": (), "targetids": ()}


class FormatError(ValueError):
    """A file that is not in the AstroCLIP layout."""


def _atomic(path: Path, write) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_astroclip_h5(path: str | os.PathLike[str], pairs: dict[str, np.ndarray]) -> Path:
    """Writes pairs (the arrays of ``_SHAPES``) dealt into the ten groups in order, atomically."""
    n = len(pairs["targetids"])
    for name, shape in _SHAPES.items():
        if pairs[name].shape != (n, *shape):
            raise FormatError(f"{name} has shape {pairs[name].shape}, expected {(n, *shape)}")
    bounds = np.linspace(0, n, len(GROUPS) + 1).astype(int)

    def write(temporary: str) -> None:
        with h5py.File(temporary, "w") as file:
            for group, start, stop in zip(GROUPS, bounds[:-1], bounds[1:]):
                g = file.create_group(group)
                for name in _SHAPES:
                    g.create_dataset(name, data=pairs[name][start:stop])

    return _atomic(Path(path), write)


def check_astroclip_h5(path: str | os.PathLike[str]) -> Path:
    """Checks the layout (groups, datasets, shapes) without reading the arrays; raises
    ``FormatError`` naming the first problem."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such file")
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise FormatError(f"{path}: not an HDF5 file ({error})") from None
    with file:
        missing = [g for g in GROUPS if g not in file]
        if missing:
            raise FormatError(
                f"{path}: not the AstroCLIP layout (groups {', '.join(missing)} missing)"
            )
        for group in GROUPS:
            g = file[group]
            n = len(g["targetids"]) if "targetids" in g else 0
            for name, shape in _SHAPES.items():
                if name not in g:
                    raise FormatError(f"{path}: group {group} has no dataset {name!r}")
                if g[name].shape[1:] != shape or len(g[name]) != n:
                    raise FormatError(
                        f"{path}: {group}/{name} has shape {g[name].shape}, expected (N, {shape})"
                    )
    return path


def read_astroclip_h5(
    path: str | os.PathLike[str], split: Literal["train", "test", "all"] = "all"
) -> dict[str, np.ndarray]:
    """The pairs of one split: the first 80% of every group is ``train``, the rest ``test``."""
    path = check_astroclip_h5(path)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in _SHAPES}
    with h5py.File(path, "r") as file:
        for group in GROUPS:
            g = file[group]
            n = len(g["targetids"])
            cut = int(TRAIN_FRACTION * n)
            rows = {"train": slice(0, cut), "test": slice(cut, n), "all": slice(0, n)}[split]
            for name in _SHAPES:
                parts[name].append(g[name][rows])
    return {name: np.concatenate(values) for name, values in parts.items()}


def write_catalogue(
    path: str | os.PathLike[str], targetids: np.ndarray, columns: dict[str, np.ndarray]
) -> Path:
    """The true parameters of simulated pairs, one column each, atomically (npz)."""

    def write(temporary: str) -> None:
        with open(temporary, "wb") as handle:
            np.savez(handle, targetids=targetids, **columns)

    return _atomic(Path(path), write)


def read_catalogue(path: str | os.PathLike[str], targetids: np.ndarray) -> dict[str, np.ndarray]:
    """The catalogue's columns in the order of ``targetids``; every target must be present."""
    with np.load(path) as data:
        if "targetids" not in data.files:
            raise FormatError(f"{path}: a catalogue needs a targetids column")
        order = {int(t): i for i, t in enumerate(data["targetids"])}
        absent = [int(t) for t in targetids if int(t) not in order]
        if absent:
            raise FormatError(f"{path}: {len(absent)} targets missing, e.g. {absent[0]}")
        rows = np.array([order[int(t)] for t in targetids], dtype=np.int64)
        return {k: data[k][rows] for k in data.files if k != "targetids"}
