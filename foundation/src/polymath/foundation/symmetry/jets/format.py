"""The public top-tagging data set's format (Kasieczka et al. 2019, Zenodo 2603256).

One pandas HDF5 table per split, key ``"table"``: for constituent i = 0…199 the columns
``E_i, PX_i, PY_i, PZ_i`` (GeV, sorted by decreasing pT, zero-padded), then ``truthE, truthPX,
truthPY, truthPZ`` (the top quark's 4-momentum, zero for QCD), ``ttv`` (0 train, 1 test, 2
validation) and ``is_signal_new`` (1 top, 0 QCD). The reader here is the one a user points at the
published ``train.h5``, ``val.h5`` and ``test.h5``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

COMPONENTS = ("E", "PX", "PY", "PZ")
TRUTH = ("truthE", "truthPX", "truthPY", "truthPZ")
SPLIT_CODES = {"train": 0, "test": 1, "val": 2}
PUBLISHED_CONSTITUENTS = 200


class JetFormatError(ValueError):
    """A file that is not in the top-tagging table layout."""


def constituent_columns(n: int) -> list[str]:
    return [f"{c}_{i}" for i in range(n) for c in COMPONENTS]


def write_top_tagging(
    path: str | os.PathLike[str],
    constituents: np.ndarray,
    labels: np.ndarray,
    split: str = "train",
    truth: np.ndarray | None = None,
) -> Path:
    """Writes (jets, n, 4) constituents and 0/1 labels as a top-tagging table, atomically."""
    import pandas as pd

    constituents = np.asarray(constituents, dtype=np.float32)
    if constituents.ndim != 3 or constituents.shape[-1] != 4:
        raise JetFormatError(
            f"constituents must have shape (jets, n, 4) as (E, px, py, pz), got {constituents.shape}"
        )
    jets, n, _ = constituents.shape
    if split not in SPLIT_CODES:
        raise JetFormatError(f"unknown split {split!r}; known: {', '.join(SPLIT_CODES)}")
    frame = pd.DataFrame(constituents.reshape(jets, 4 * n), columns=constituent_columns(n))
    truth = np.zeros((jets, 4), np.float32) if truth is None else np.asarray(truth, np.float32)
    for k, name in enumerate(TRUTH):
        frame[name] = truth[:, k]
    frame["ttv"] = SPLIT_CODES[split]
    frame["is_signal_new"] = np.asarray(labels, dtype=np.int64)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
    )
    os.close(handle)
    try:
        frame.to_hdf(temporary, key="table", mode="w", format="table")
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def read_top_tagging(
    path: str | os.PathLike[str], max_constituents: int | None = None, stop: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(jets, n, 4) float32 constituents (E, px, py, pz) and int64 labels from a top-tagging table."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise JetFormatError(f"no top-tagging file at {path}")
    try:
        frame = pd.read_hdf(path, key="table", stop=stop)
    except (KeyError, ValueError, OSError, TypeError) as error:
        raise JetFormatError(f"{path} is not a top-tagging table (key 'table'): {error}") from None
    n = 0
    while f"E_{n}" in frame.columns:
        n += 1
    missing = [
        c for c in [*constituent_columns(max(n, 1)), "is_signal_new"] if c not in frame.columns
    ]
    if n == 0 or missing:
        raise JetFormatError(f"{path} lacks the top-tagging columns {missing[:4] or ['E_0']}")
    n = n if max_constituents is None else min(n, max_constituents)
    constituents = frame[constituent_columns(n)].to_numpy(np.float32).reshape(len(frame), n, 4)
    return constituents, frame["is_signal_new"].to_numpy(np.int64)
