"""The reference's per-patch ``.npy`` layout, GD-1 member lists, and labelling by cross-match.

A patch file is an array of shape (stars, 10), or (stars, 11) for mocks, with the columns of
:data:`COLUMNS` in that order; the 11th column is the stream flag times 100, as the reference
writes it. Angles are in degrees, proper motions in mas/yr.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

COLUMNS = ("pmdec", "pmra", "dec", "ra", "color", "mag", "phi", "lambda", "pmphi", "pmlambda")
"""μ_δ, μ_α*, δ, α, b−r (G_BP−G_RP), G, ϕ, λ (patch-centred), μ_ϕ·cosλ, μ_λ."""
STREAM_COLUMN = "stream"
MEMBER_COLUMNS = ("ra", "dec", "pmra", "pmdec")
MATCH_TOLERANCE = 1e-4


class CatalogFormatError(ValueError):
    """A file that does not hold a catalogue in the expected layout."""


@dataclass(frozen=True)
class Patch:
    """One patch of sky: ``stars`` (n, 10) in :data:`COLUMNS` order and, for mocks, a stream flag."""

    stars: np.ndarray
    is_stream: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.stars.ndim != 2 or self.stars.shape[1] != len(COLUMNS):
            raise CatalogFormatError(
                f"a patch has {len(COLUMNS)} columns ({', '.join(COLUMNS)}); got shape {self.stars.shape}"
            )
        if self.is_stream is not None and self.is_stream.shape != (len(self.stars),):
            raise CatalogFormatError("the stream flags must have one entry per star")

    def __len__(self) -> int:
        return len(self.stars)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.stars[:, COLUMNS.index(name)]

    def select(self, mask: np.ndarray) -> Patch:
        flags = None if self.is_stream is None else self.is_stream[mask]
        return Patch(self.stars[mask], flags)

    def to_array(self) -> np.ndarray:
        """The reference layout: 10 columns, plus the stream flag × 100 when the patch has one."""
        if self.is_stream is None:
            return self.stars
        return np.column_stack([self.stars, 100.0 * self.is_stream])


def load_patch(path: str | os.PathLike[str]) -> Patch:
    """Reads a patch ``.npy`` file of 10 columns, or 11 with the stream flag × 100."""
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise CatalogFormatError(f"{path}: not a readable .npy array ({error})") from None
    if array.ndim != 2 or array.shape[1] not in (len(COLUMNS), len(COLUMNS) + 1):
        raise CatalogFormatError(
            f"{path}: expected 10 columns ({', '.join(COLUMNS)}) or 11 with the stream flag, "
            f"got an array of shape {array.shape}"
        )
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        raise CatalogFormatError(f"{path}: the catalogue holds NaN or infinite values")
    flags = array[:, len(COLUMNS)] > 0 if array.shape[1] > len(COLUMNS) else None
    return Patch(np.ascontiguousarray(array[:, : len(COLUMNS)]), flags)


def save_patch(patch: Patch, path: str | os.PathLike[str]) -> Path:
    """Writes the reference layout atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as handle:
        np.save(handle, patch.to_array())
    os.replace(handle.name, path)
    return path


def load_members(path: str | os.PathLike[str]) -> np.ndarray:
    """Reads a stream member list as an array (n, 4) of (α, δ, μ_α*, μ_δ).

    ``.npy``: the first four columns in that order. ``.csv``: a header naming ``ra``, ``dec``,
    ``pmra`` and ``pmdec`` (any order, other columns ignored), as Price-Whelan & Bonaca's table does.
    """
    path = Path(path)
    if path.suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise CatalogFormatError(f"{path}: not a readable .npy array ({error})") from None
        if array.ndim != 2 or array.shape[1] < len(MEMBER_COLUMNS):
            raise CatalogFormatError(
                f"{path}: a member list needs the columns {', '.join(MEMBER_COLUMNS)}; "
                f"got an array of shape {array.shape}"
            )
        return array[:, : len(MEMBER_COLUMNS)].astype(np.float64)
    if path.suffix == ".csv":
        try:
            table = np.genfromtxt(path, delimiter=",", names=True, dtype=np.float64)
        except (OSError, ValueError) as error:
            raise CatalogFormatError(f"{path}: not a readable CSV table ({error})") from None
        missing = [name for name in MEMBER_COLUMNS if name not in (table.dtype.names or ())]
        if missing:
            raise CatalogFormatError(
                f"{path}: the CSV header lacks the columns {', '.join(missing)}"
            )
        return np.column_stack([np.atleast_1d(table[name]) for name in MEMBER_COLUMNS])
    raise CatalogFormatError(
        f"{path}: member lists are read from .npy or .csv, not {path.suffix!r}"
    )


def label_members(
    patch: Patch, members: np.ndarray, tolerance: float = MATCH_TOLERANCE
) -> np.ndarray:
    """Flags the stars that lie within ``tolerance`` of a member in (α, δ, μ_α*, μ_δ).

    The distance is Euclidean in those four numbers (degrees and mas/yr mixed, as the reference
    compares them); a tolerance of 1e-4 only matches the same Gaia source.
    """
    stars = np.column_stack([patch["ra"], patch["dec"], patch["pmra"], patch["pmdec"]])
    if len(members) == 0:
        return np.zeros(len(patch), dtype=bool)
    distance, _ = cKDTree(members).query(stars, distance_upper_bound=tolerance)
    return np.isfinite(distance)
