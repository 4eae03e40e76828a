"""Windows over concatenated sessions, the reference's label augmentation, and the two splits.

Everything is indexed by a window's start frame in the concatenation of all sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from polymath.pirounet.data.formats import NOT_APPLICABLE

SEQ_LEN = 40  # PirouNet's window: 40 frames, about 1.14 s at 35 fps
FUZZ = 6  # the reference extends every label to windows starting up to 6 frames (0.17 s) away


def window_starts(
    session_lengths: Sequence[int], seq_len: int = SEQ_LEN, stride: int = 1,
    cross_sessions: bool = False,
) -> np.ndarray:  # fmt: skip
    """Start frames of every window; with ``cross_sessions=False`` no window spans two sessions."""
    if seq_len < 1 or stride < 1:
        raise ValueError(f"window length and stride must be >= 1, found {seq_len} and {stride}")
    total = int(sum(session_lengths))
    if cross_sessions:
        starts = np.arange(0, total - seq_len + 1, stride)
    else:
        offsets = np.cumsum([0, *session_lengths[:-1]])
        starts = np.concatenate(
            [o + np.arange(0, n - seq_len + 1, stride) for o, n in zip(offsets, session_lengths)]
            + [np.zeros(0, dtype=np.int64)]
        )
    if len(starts) == 0:
        longest = max(session_lengths, default=0) if not cross_sessions else total
        raise ValueError(f"a window of {seq_len} frames is longer than the data ({longest} frames)")
    return starts.astype(np.int64)


def augment_labels(
    starts: np.ndarray, labels: np.ndarray, seq_len: int = SEQ_LEN, fuzz: int = FUZZ,
    max_start: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The reference's augmentation of hand labels, then N/A dropped.

    (a) Two labelled windows ``seq_len`` apart with the same label give that label to every start
    between them. (b) Every labelled start (after (a)) lends its label to starts up to ``fuzz``
    frames away that have none; a start claimed by two different labels is left unlabelled.
    Hand labels always win. Starts stay in [0, max_start].
    """
    order = np.argsort(starts)
    starts, labels = np.asarray(starts)[order], np.asarray(labels)[order]
    owned: dict[int, int] = dict(zip(starts.tolist(), labels.tolist()))
    for (s0, y0), (s1, y1) in pairwise(zip(starts.tolist(), labels.tolist())):
        if s1 - s0 == seq_len and y0 == y1:
            owned.update((s, int(y0)) for s in range(s0 + 1, s1))
    claims: dict[int, set[int]] = {}
    for s, y in owned.items():
        for near in range(s - fuzz, s + fuzz + 1):
            if near not in owned and near >= 0 and (max_start is None or near <= max_start):
                claims.setdefault(near, set()).add(y)
    owned.update((s, ys.pop()) for s, ys in claims.items() if len(ys) == 1)
    kept = sorted((s, y) for s, y in owned.items() if y != NOT_APPLICABLE)
    if not kept:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    out_starts, out_labels = (np.array(column, dtype=np.int64) for column in zip(*kept))
    return out_starts, out_labels


@dataclass(frozen=True)
class Split:
    """Start frames of each set; labelled sets come with their labels."""

    train_labelled: np.ndarray
    train_labels: np.ndarray
    train_unlabelled: np.ndarray
    val: np.ndarray
    val_labels: np.ndarray
    test: np.ndarray
    test_labels: np.ndarray


def reference_split(
    labelled: np.ndarray, labels: np.ndarray, unlabelled: np.ndarray, fraction_label: float = 0.789,
) -> Split:  # fmt: skip
    """The split of the released checkpoints, in time order without shuffling: labelled windows
    first 5 % validation, next ``fraction_label`` of them training, last 3 % test; unlabelled windows
    first 95 % training. Training windows overlap validation ones (stride 1, augmentation): leaky.
    """
    if not 0 < fraction_label <= 0.92:
        raise ValueError(f"fraction_label must be in (0, 0.92], found {fraction_label}")
    order = np.argsort(labelled)
    labelled, labels = labelled[order], labels[order]
    n = len(labelled)
    n_val, n_test = int(0.05 * n), int(0.03 * n)
    n_train = int(fraction_label * n)
    train = slice(n_val, n_val + n_train)
    return Split(
        labelled[train], labels[train], np.sort(unlabelled)[: int(0.95 * len(unlabelled))],
        labelled[:n_val], labels[:n_val], labelled[n - n_test :], labels[n - n_test :],
    )  # fmt: skip


def leak_free_split(
    labelled: np.ndarray, labels: np.ndarray, unlabelled: np.ndarray, total_frames: int,
    seq_len: int = SEQ_LEN, val_fraction: float = 0.1, test_fraction: float = 0.1,
) -> Split:  # fmt: skip
    """Cuts the timeline into training, validation and test blocks (in that order) and keeps each
    window only in the block that holds all of its frames: no training window, labelled or not,
    shares a frame with a validation or test window. Windows across a cut are dropped.
    """
    if val_fraction < 0 or test_fraction < 0 or val_fraction + test_fraction >= 1:
        raise ValueError(f"bad fractions: val {val_fraction}, test {test_fraction}")
    cuts = np.array([0, (1 - val_fraction - test_fraction) * total_frames,
                     (1 - test_fraction) * total_frames, total_frames]).round().astype(np.int64)  # fmt: skip

    def block(starts: np.ndarray) -> np.ndarray:
        first = np.searchsorted(cuts, starts, side="right") - 1
        last = np.searchsorted(cuts, starts + seq_len - 1, side="right") - 1
        return np.where(first == last, first, -1)

    lab_block, unl_block = block(labelled), block(unlabelled)
    pick = [lab_block == k for k in range(3)]
    return Split(
        labelled[pick[0]], labels[pick[0]], unlabelled[unl_block == 0],
        labelled[pick[1]], labels[pick[1]], labelled[pick[2]], labels[pick[2]],
    )  # fmt: skip
