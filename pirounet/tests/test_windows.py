"""Windows, the label augmentation, and the splits."""

import numpy as np
import pytest

from polymath.pirounet.data.windows import (
    augment_labels,
    leak_free_split,
    reference_split,
    window_starts,
)


def test_windows_never_cross_sessions_when_asked():
    lengths = [50, 45, 30]
    starts = window_starts(lengths, seq_len=40, cross_sessions=False)
    edges = np.cumsum(lengths)
    for s in starts:
        session = np.searchsorted(edges, s, side="right")
        assert s + 40 <= edges[session]
    assert len(starts) == 11 + 6  # the 30-frame session holds none
    assert len(window_starts(lengths, seq_len=40, cross_sessions=True)) == 125 - 39


def test_a_window_longer_than_the_data_is_refused():
    with pytest.raises(ValueError, match="longer than the data"):
        window_starts([30, 20], seq_len=40)


def test_augmentation_fills_between_equal_neighbours_and_fuzzes_six_frames():
    starts, labels = np.array([0, 40, 120, 160]), np.array([1, 1, 0, 2])
    out, y = augment_labels(starts, labels, max_start=300)
    got = dict(zip(out.tolist(), y.tolist()))
    assert all(got[s] == 1 for s in range(0, 41))  # (a): 0 and 40 agree
    assert all(got[s] == 1 for s in range(41, 47)) and 47 not in got  # (b): +6 of 40
    assert all(got[s] == 0 for s in range(114, 121)) and 113 not in got
    # 120 (label 0) and 160 (label 2) disagree: no fill, each fuzzes 6 frames
    assert got[126] == 0 and 127 not in got and got[154] == 2 and 153 not in got


def test_augmentation_drops_na_and_conflicts_and_keeps_hand_labels():
    starts, labels = np.array([0, 10, 50]), np.array([0, 2, 3])  # 3 = N/A
    out, y = augment_labels(starts, labels, max_start=100)
    got = dict(zip(out.tolist(), y.tolist()))
    assert got[0] == 0 and got[10] == 2 and 50 not in got and 56 not in got
    assert not {4, 5, 6} & set(got)  # claimed by both 0 (up to 6) and 10 (from 4)
    assert got[3] == 0 and got[7] == 2


def test_the_reference_split_is_ordered_and_leaky():
    labelled = np.arange(0, 4000, 4)  # 1000 labelled windows
    split = reference_split(labelled, labelled % 3, np.arange(4000), fraction_label=0.92)
    assert (len(split.val), len(split.train_labelled), len(split.test)) == (50, 920, 30)
    assert (
        split.val.max() < split.train_labelled.min()
        and split.train_labelled.max() < split.test.min()
    )
    assert np.isin(split.val, split.train_unlabelled).all()  # the reference's leak


def test_the_leak_free_split_has_no_overlap():
    rng = np.random.default_rng(0)
    unlabelled = window_starts([700, 500, 800], seq_len=40)
    labelled, _ = augment_labels(rng.choice(unlabelled, 60, replace=False), rng.integers(0, 3, 60))
    labelled = labelled[labelled <= unlabelled.max()]
    split = leak_free_split(labelled, labelled % 3, unlabelled, total_frames=2000, seq_len=40)
    assert len(split.val) and len(split.test) and len(split.train_labelled)
    train = np.concatenate([split.train_labelled, split.train_unlabelled])
    for held_out in (split.val, split.test):
        gap = np.abs(train[:, None] - held_out[None, :])
        assert gap.min() >= 40  # two 40-frame windows starting 40 apart share no frame
    assert len(split.val) + len(split.test) + len(split.train_labelled) < len(
        labelled
    )  # cut windows
