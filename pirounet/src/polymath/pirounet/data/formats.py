"""Readers of the published formats: the motion-capture ``.npy`` files and the labels CSV.

A ``.npy`` file holds one session as (markers, frames, 3) with 55 markers (or 53 once the two
virtual hip markers are gone). Two preprocessing paths exist in the references, and each model
must see the one it was trained with: PirouNet's (and Beyond Imitation's sequence VAE)
quantile scaling with per-frame xy-centring, and the MDN-RNN / pose autoencoder's rotation
with min-max scaling.
"""

from __future__ import annotations

import csv
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polymath.pirounet.data.markers import MARKERS, N_MARKERS, N_RAW_MARKERS, VIRTUAL_MARKERS

TRIM_FRAMES = 500  # the reference drops this many frames at each end of every file
NOT_APPLICABLE = 3  # label 4 ("N/A") in the CSV, after shifting 1..4 to 0..3


def read_session(path: str | Path, trim: int = TRIM_FRAMES) -> np.ndarray:
    """One session as float32 (frames, 53, 3): transposed, virtual markers dropped, ends trimmed.
    A ``.c3d`` file is read by :func:`read_c3d`."""
    path = Path(path)
    if path.suffix.lower() == ".c3d":
        return read_c3d(path, trim)
    try:
        raw = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable .npy array ({error})") from None
    if raw.ndim != 3 or raw.shape[2] != 3:
        raise ValueError(f"{path}: expected (markers, frames, 3), found shape {raw.shape}")
    if raw.shape[0] == N_RAW_MARKERS:
        raw = np.delete(raw, VIRTUAL_MARKERS, axis=0)
    elif raw.shape[0] != N_MARKERS:
        raise ValueError(f"{path}: {raw.shape[0]} markers, expected {N_RAW_MARKERS} or {N_MARKERS}")
    frames = raw.shape[1] - 2 * trim
    if frames <= 0:
        raise ValueError(f"{path}: {raw.shape[1]} frames, fewer than the {2 * trim} trimmed")
    return np.ascontiguousarray(raw.transpose(1, 0, 2)[trim : trim + frames], dtype=np.float32)


def read_c3d(path: str | Path, trim: int = TRIM_FRAMES) -> np.ndarray:
    """A C3D motion-capture file (what studios export) as float32 (frames, 53, 3), in the ``.npy``
    files' convention so the same preprocessing applies: z is flipped to point down (C3D's points
    up), units are kept (both scalings are scale-free). Markers named as ours are put in our order;
    otherwise the file's order is kept (55 markers: the two virtual hips dropped). Gaps (points the
    file marks invalid) are filled by linear interpolation in time."""
    import c3d

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    try:
        with path.open("rb") as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no analog data": motion capture has none
            reader = c3d.Reader(handle)
            names = [name.strip() for name in reader.point_labels]
            frames = np.stack([points for _, points, _ in reader.read_frames()])
    except (OSError, ValueError, struct.error, IndexError) as error:
        raise ValueError(f"{path}: not a readable C3D file ({error})") from None
    xyz = np.where(frames[..., 3:4] < 0, np.nan, frames[..., :3])  # residual < 0: no point
    if set(MARKERS) <= set(names):
        xyz = xyz[:, [names.index(m) for m in MARKERS]]
    elif xyz.shape[1] == N_RAW_MARKERS:
        xyz = np.delete(xyz, VIRTUAL_MARKERS, axis=1)
    elif xyz.shape[1] != N_MARKERS:
        raise ValueError(f"{path}: {xyz.shape[1]} markers, expected {N_RAW_MARKERS} or {N_MARKERS}")
    time = np.arange(len(xyz))
    for m, c in zip(*np.nonzero(np.isnan(xyz).any(axis=0))):
        seen = ~np.isnan(xyz[:, m, c])
        if not seen.any():
            raise ValueError(f"{path}: marker {m} is never seen")
        xyz[:, m, c] = np.interp(time, time[seen], xyz[seen, m, c])
    xyz[..., 2] *= -1
    kept = len(xyz) - 2 * trim
    if kept <= 0:
        raise ValueError(f"{path}: {len(xyz)} frames, fewer than the {2 * trim} trimmed")
    return np.ascontiguousarray(xyz[trim : trim + kept], dtype=np.float32)


def scale_pirounet(poses: np.ndarray) -> np.ndarray:
    """PirouNet's preprocessing of (frames, markers, 3) poses (all sessions together).

    Flip z; take the 1 % / 99 % quantiles of each axis; shift x and y by the smaller of their lower
    quantiles; scale all three axes by 2 / (xy range) so xy spans about [0, 2]; subtract 1 from x
    and y; then centre x and y of every frame on the markers' mean (z untouched).
    """
    poses = np.array(poses, dtype=np.float32)
    poses[..., 2] *= -1
    low, high = np.quantile(poses.reshape(-1, 3), [0.01, 0.99], axis=0)
    xy_low, xy_high = min(low[0], low[1]), max(high[0], high[1])
    poses[..., :2] -= xy_low
    poses *= 2.0 / (xy_high - xy_low)
    poses[..., :2] -= 1.0
    poses[..., :2] -= poses[..., :2].mean(axis=1, keepdims=True)
    return poses


def scale_beyond_imitation(poses: np.ndarray) -> np.ndarray:
    """Beyond Imitation's MDN-RNN / pose-autoencoder preprocessing of (frames, markers, 3) poses.

    Rotate by -pi/2 about x ((x, y, z) -> (x, z, -y)), min-max scale each axis to [0, 1], then flip
    z inside that range (z -> 1 - z).
    """
    poses = np.asarray(poses, dtype=np.float32)
    rotated = np.stack([poses[..., 0], poses[..., 2], -poses[..., 1]], axis=-1)
    low = rotated.reshape(-1, 3).min(axis=0)
    span = rotated.reshape(-1, 3).max(axis=0) - low
    scaled = (rotated - low) / np.where(span > 0, span, 1.0)
    scaled[..., 2] = 1.0 - scaled[..., 2]
    return scaled


@dataclass(frozen=True)
class Labels:
    """Window labels: start frames (in the concatenated data) with Space and Time efforts 0..3."""

    starts: np.ndarray
    space: np.ndarray
    time: np.ndarray


def read_labels(path: str | Path) -> Labels:
    """The labels CSV: rows ``start, space, time`` with efforts 1-3 or 4 = N/A (a header is allowed).

    Efforts are shifted to 0..3 (3 = N/A). A malformed row is named by its line number.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: labels file not found")
    rows = []
    with path.open(newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                values = [int(float(cell)) for cell in row]
            except ValueError:
                if number == 1:
                    continue  # a header
                raise ValueError(f"{path}:{number}: not three numbers: {row}") from None
            if len(values) != 3:
                raise ValueError(f"{path}:{number}: expected start,space,time, found {row}")
            start, space, time = values
            if start < 0 or not (1 <= space <= 4 and 1 <= time <= 4):
                raise ValueError(
                    f"{path}:{number}: start must be >= 0 and efforts 1-4 (4 = N/A), found {row}"
                )
            rows.append((start, space - 1, time - 1))
    if not rows:
        raise ValueError(f"{path}: no labels")
    starts, space, time = (np.array(column, dtype=np.int64) for column in zip(*sorted(rows)))
    if len(np.unique(starts)) != len(starts):
        raise ValueError(f"{path}: a start frame is labelled twice")
    return Labels(starts, space, time)


def beyond_imitation_to_z_up(poses: np.ndarray) -> np.ndarray:
    """Poses in Beyond Imitation's scaling, (x, y, z) with y the (downward) raw vertical, as
    (x, z, 1 - y) so that the figures draw them standing (z up)."""
    poses = np.asarray(poses).reshape(len(poses), -1, 3)
    return np.stack([poses[..., 0], poses[..., 2], 1.0 - poses[..., 1]], axis=-1)
