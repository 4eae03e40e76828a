"""Writers and readers of the published HDF5 layouts: PDEBench's four 2D layouts and the Well's.

The reader that opens our simulated files is the one a user points at the real files:

| layout | files | arrays |
| --- | --- | --- |
| pdebench-groups | ``2D_rdb_NA_NA.h5``, ``2D_diff-react_NA_NA.h5`` | one group per trajectory, ``data`` (T, H, W, C) and ``grid/{x,y,t}`` |
| pdebench-ins | ``ns_incom_inhom_2d_*.h5`` | ``velocity`` (N, T, H, W, 2), ``particles`` (N, T, H, W, 1), ``force``, ``t`` |
| pdebench-cns | ``2D_CFD_*_Train.hdf5`` | ``Vx``, ``Vy``, ``density``, ``pressure`` (N, T, H, W) and ``{t,x,y}-coordinate`` |
| well | ``<name>/data/<split>/*.hdf5`` | ``t0_fields/<field>`` (N, T, x, y), ``dimensions``, ``boundary_conditions``; ``stats.yaml`` |

Every reader returns windows as float32 (frames, fields, H, W).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
import yaml

from polymath.mpp.data.solvers.trajectories import Trajectories
from polymath.mpp.fields import DatasetSpec, Layout

CNS_FIELDS = ("Vx", "Vy", "density", "pressure")
WELL_SPLITS = ("train", "valid", "test")


class FormatError(ValueError):
    """A file that is not in the layout its dataset needs, or lacks one of its fields."""


def pdebench_filename(spec: DatasetSpec, resolution: int) -> str:
    """The published file name of a dataset (our simulated files use the same names)."""
    names = {
        "swe": "2D_rdb_NA_NA.h5",
        "diffre2d": "2D_diff-react_NA_NA.h5",
        "incompNS": f"ns_incom_inhom_2d_{resolution}-0.h5",
    }
    if spec.system in names:
        return names[spec.system]
    if spec.layout == "pdebench-cns":
        mach = spec.pattern.strip("_")
        return f"2D_CFD_Rand_{mach}_Eta1e-08_Zeta1e-08_periodic_{resolution}_Train.hdf5"
    raise FormatError(f"dataset {spec.name!r} has no PDEBench file name (layout {spec.layout})")


@contextmanager
def _atomic_h5(path: Path) -> Iterator[h5py.File]:
    """An HDF5 file written beside ``path`` and renamed into place only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
    )
    os.close(handle)
    try:
        with h5py.File(temporary, "w") as file:
            yield file
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_pdebench(trajectories: Trajectories, spec: DatasetSpec, path: str | Path) -> Path:
    """Writes ``trajectories`` in the PDEBench layout of ``spec`` (fields in ``spec.fields`` order)."""
    path = Path(path)
    data = trajectories.fields
    if data.shape[-1] != len(spec.fields):
        raise FormatError(
            f"{spec.name}: {data.shape[-1]} fields given, {len(spec.fields)} expected"
        )
    with _atomic_h5(path) as file:
        if spec.layout == "pdebench-groups":
            for index in range(trajectories.n_trajectories):
                group = file.create_group(f"{index:04d}")
                group.create_dataset("data", data=data[index])
                grid = group.create_group("grid")
                grid.create_dataset("x", data=trajectories.x)
                grid.create_dataset("y", data=trajectories.y)
                grid.create_dataset("t", data=trajectories.t)
        elif spec.layout == "pdebench-ins":
            file.create_dataset("velocity", data=data[..., :2])
            file.create_dataset("particles", data=data[..., 2:3])
            force = trajectories.extras.get(
                "force", np.zeros(data.shape[:1] + data.shape[2:4] + (2,))
            )
            file.create_dataset("force", data=force)
            file.create_dataset("t", data=np.tile(trajectories.t, (trajectories.n_trajectories, 1)))
        elif spec.layout == "pdebench-cns":
            for channel, name in enumerate(CNS_FIELDS):
                file.create_dataset(name, data=data[..., channel])
            dt = trajectories.t[1] - trajectories.t[0]
            file.create_dataset(
                "t-coordinate", data=np.append(trajectories.t, trajectories.t[-1] + dt)
            )
            file.create_dataset("x-coordinate", data=trajectories.x)
            file.create_dataset("y-coordinate", data=trajectories.y)
        else:
            raise FormatError(f"{spec.name}: {spec.layout} is not a PDEBench layout")
    return path


def write_well(
    trajectories: Trajectories,
    spec: DatasetSpec,
    root: str | Path,
    splits: Sequence[str],
    dataset_name: str = "advection_diffusion",
) -> Path:
    """Writes the Well layout under ``root/<dataset_name>``: one file per split, and ``stats.yaml``.

    ``splits`` names the split ("train", "valid" or "test") of each trajectory.
    """
    base = Path(root) / dataset_name
    splits = np.asarray(splits)
    data = trajectories.fields  # (N, T, y, x, C); the Well stores (N, T, x, y)
    for split in WELL_SPLITS:
        chosen = np.flatnonzero(splits == split)
        if chosen.size == 0:
            continue
        path = base / "data" / split / f"{dataset_name}_{split}.hdf5"
        with _atomic_h5(path) as file:
            _write_well_file(file, data[chosen], trajectories, spec, dataset_name)
    _write_well_stats(base / "stats.yaml", data, spec)
    return base


def _write_well_file(
    file: h5py.File, data: np.ndarray, trajectories: Trajectories, spec: DatasetSpec, name: str
) -> None:
    file.attrs.update(
        dataset_name=name,
        grid_type="cartesian",
        n_spatial_dims=2,
        n_trajectories=data.shape[0],
        simulation_parameters=[],
    )
    dimensions = file.create_group("dimensions")
    dimensions.attrs["spatial_dims"] = ["x", "y"]
    for key, values in (("time", trajectories.t), ("x", trajectories.x), ("y", trajectories.y)):
        dimensions.create_dataset(key, data=values).attrs["sample_varying"] = False
    bcs = file.create_group("boundary_conditions")
    bc_type = "PERIODIC" if spec.periodic else "WALL"
    for axis, coordinate in (("x", trajectories.x), ("y", trajectories.y)):
        bc = bcs.create_group(f"{axis}_{bc_type.lower()}")
        bc.attrs.update(
            bc_type=bc_type,
            associated_dims=[axis],
            associated_fields=[],
            sample_varying=False,
            time_varying=False,
        )
        mask = np.zeros(coordinate.shape, dtype=bool)
        mask[[0, -1]] = True
        bc.create_dataset("mask", data=mask)
    file.create_group("scalars").attrs["field_names"] = []
    t0 = file.create_group("t0_fields")
    t0.attrs["field_names"] = list(spec.fields)
    for channel, field in enumerate(spec.fields):
        dataset = t0.create_dataset(field, data=np.swapaxes(data[..., channel], -1, -2))
        dataset.attrs.update(dim_varying=[True, True], sample_varying=True, time_varying=True)
    for order in ("t1_fields", "t2_fields"):
        file.create_group(order).attrs["field_names"] = []


def _write_well_stats(path: Path, data: np.ndarray, spec: DatasetSpec) -> None:
    delta = np.diff(data, axis=1)
    stats: dict[str, dict[str, float]] = {
        key: {} for key in ("mean", "std", "rms", "mean_delta", "std_delta", "rms_delta")
    }
    for channel, field in enumerate(spec.fields):
        values, changes = data[..., channel].astype(np.float64), delta[..., channel]
        stats["mean"][field] = float(values.mean())
        stats["std"][field] = float(values.std())
        stats["rms"][field] = float(np.sqrt((values**2).mean()))
        stats["mean_delta"][field] = float(changes.mean())
        stats["std_delta"][field] = float(changes.std())
        stats["rms_delta"][field] = float(np.sqrt((changes**2).mean()))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(yaml.safe_dump(stats))
    os.replace(temporary, path)


def detect_layout(file: h5py.File) -> Layout:
    """Which published layout an open HDF5 file has; a clear error for anything else."""
    keys = set(file.keys())
    if "t0_fields" in keys and "dimensions" in keys:
        return "well"
    if {"velocity", "particles"} <= keys:
        return "pdebench-ins"
    if keys & set(CNS_FIELDS):
        return "pdebench-cns"
    if keys and all(isinstance(file[key], h5py.Group) and "data" in file[key] for key in keys):
        return "pdebench-groups"
    shown = ", ".join(sorted(keys)[:8]) or "nothing"
    raise FormatError(
        f"{file.filename}: unknown layout (top level holds {shown}); expected PDEBench "
        "(trajectory groups with 'data', 'velocity'/'particles', or 'Vx'/'Vy'/'density'/'pressure') "
        "or the Well ('t0_fields', 'dimensions')"
    )


class TrajectoryFile:
    """Lazy access to the trajectories of one file; the HDF5 handle opens on first read.

    Each DataLoader worker gets its own copy and so its own handle (handles are not pickled).
    """

    def __init__(self, path: str | Path, spec: DatasetSpec) -> None:
        self.path = Path(path)
        self.spec = spec
        self._file: h5py.File | None = None
        with h5py.File(self.path, "r") as file:
            layout = detect_layout(file)
            if layout != spec.layout:
                raise FormatError(
                    f"{self.path}: layout {layout}, but dataset {spec.name!r} is stored as {spec.layout}"
                )
            self.n_trajectories, self.n_frames, self.shape = self._describe(file)

    def _describe(self, file: h5py.File) -> tuple[int, int, tuple[int, int]]:
        layout = self.spec.layout
        if layout == "pdebench-groups":
            self._groups = sorted(file.keys())
            first = file[self._groups[0]]["data"]
            channels = first.shape[-1]
            self._check_channels(channels)
            return len(self._groups), first.shape[0], tuple(first.shape[1:3])
        arrays = self._arrays(file)
        first = arrays[0][0]
        return first.shape[0], first.shape[1], tuple(first.shape[2:4])

    def _check_channels(self, channels: int) -> None:
        if channels != len(self.spec.fields):
            raise FormatError(
                f"{self.path}: 'data' has {channels} channels, dataset {self.spec.name!r} "
                f"needs {len(self.spec.fields)} ({', '.join(self.spec.fields)})"
            )

    def _arrays(self, file: h5py.File) -> list[tuple[h5py.Dataset, int | None]]:
        """(array, channel or None) per field of the spec, in field order."""
        layout = self.spec.layout
        if layout == "pdebench-ins":
            sources = {"Vx": ("velocity", 0), "Vy": ("velocity", 1), "particles": ("particles", 0)}
            group = file
        elif layout == "pdebench-cns":
            sources = {name: (name, None) for name in CNS_FIELDS}
            group = file
        else:
            group = file["t0_fields"]
            sources = {name: (name, None) for name in group}
        arrays = []
        for field in self.spec.fields:
            key, channel = sources.get(field, (field, None))
            if key not in group:
                present = ", ".join(sorted(group.keys()))
                raise FormatError(f"{self.path}: field {field!r} is missing (found: {present})")
            arrays.append((group[key], channel))
        return arrays

    def read(self, trajectory: int, start: int, stop: int) -> np.ndarray:
        """Frames ``start:stop`` of one trajectory as float32 (frames, fields, H, W)."""
        if self._file is None:
            self._file = h5py.File(self.path, "r")
        layout = self.spec.layout
        if layout == "pdebench-groups":
            frames = self._file[self._groups[trajectory]]["data"][start:stop]
            return np.ascontiguousarray(np.moveaxis(frames, -1, 1), dtype=np.float32)
        channels = []
        for array, channel in self._arrays(self._file):
            values = (
                array[trajectory, start:stop]
                if channel is None
                else array[trajectory, start:stop, ..., channel]
            )
            channels.append(np.swapaxes(values, -1, -2) if layout == "well" else values)
        return np.stack(channels, axis=1).astype(np.float32)

    def well_split(self) -> str | None:
        """The Well's split of this file, from its directory (None for PDEBench files)."""
        if self.spec.layout != "well":
            return None
        return self.path.parent.name if self.path.parent.name in WELL_SPLITS else None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_file"] = None
        return state


def find_files(root: str | Path, spec: DatasetSpec) -> list[Path]:
    """HDF5 files under ``root`` whose path (relative to root) holds the dataset's pattern and filter."""
    root = Path(root)
    candidates = sorted(
        Path(folder) / name
        for folder, _, names in os.walk(root, followlinks=True)
        for name in names
        if name.endswith((".h5", ".hdf5"))
    )
    return [
        path
        for path in candidates
        if spec.pattern in str(path.relative_to(root))
        and spec.filter in str(path.relative_to(root))
    ]
