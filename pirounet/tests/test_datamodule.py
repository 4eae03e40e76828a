"""The datamodule on real-format files: sessions, labels, windows and splits together."""

import numpy as np
import pytest
import torch

from polymath.pirounet.data.datamodule import DanceDataModule
from polymath.pirounet.data.simulate import simulate_dancer


@pytest.fixture
def files(tmp_path):
    """Two sessions of the synthetic dancer written as 55-marker files, and a labels CSV."""
    dance = simulate_dancer(sessions=2, seconds=12.0, seed=3)
    paths = []
    for i, (a, b) in enumerate([(0, 420), (420, 840)]):
        raw = np.insert(dance.poses[a:b].transpose(1, 0, 2), [26, 52], 0.0, axis=0)
        assert raw.shape[0] == 55
        np.save(tmp_path / f"s{i}.npy", raw)
        paths.append(str(tmp_path / f"s{i}.npy"))
    rows = ["start,space,time"] + [f"{s},2,{1 + (s // 80) % 3}" for s in range(0, 700, 40)]
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    return paths, str(tmp_path / "labels.csv")


def test_real_files_give_windows_inside_sessions_and_labels_from_the_csv(files):
    paths, labels = files
    data = DanceDataModule(paths, labels, trim=10, seq_len=40, augment=False, val_fraction=0.2,
                           test_fraction=0.2, batch_size=8)  # fmt: skip
    data.setup()
    assert data.poses.shape == (2 * 400, 159)
    split = data.split
    labelled = np.concatenate([split.train_labelled, split.val, split.test])
    # the window at 380 would cross from session 0 (frames 0-399) into session 1: dropped
    assert 360 in labelled and 380 not in labelled and 400 in labelled
    got = dict(zip(split.train_labelled.tolist(), split.train_labels.tolist()))
    assert got[0] == 0 and got[80] == 1 and got[160] == 2
    x, y = next(iter(data.val_dataloader()))
    assert x.shape[1:] == (40, 159) and y.dtype == torch.long


def test_the_reference_split_on_files_uses_the_augmented_pool(files):
    paths, labels = files
    data = DanceDataModule(paths, labels, trim=10, seq_len=40, split="reference",
                           cross_sessions=True, fraction_label=0.92, batch_size=8)  # fmt: skip
    data.setup()
    n = sum(len(getattr(data.split, k)) for k in ("train_labelled", "val", "test"))
    assert n > 5 * 18  # +-6 frames around each of 18 hand labels


def test_labels_past_the_data_and_missing_halves_are_named(files, tmp_path):
    paths, _ = files
    (tmp_path / "late.csv").write_text("5000,1,1\n")
    with pytest.raises(ValueError, match="past the last window"):
        DanceDataModule(paths, str(tmp_path / "late.csv"), trim=10).setup()
    with pytest.raises(ValueError, match="go together"):
        DanceDataModule(paths, None)


def test_an_empty_set_is_named():
    data = DanceDataModule(
        synthetic_sessions=1, synthetic_seconds=3.0, seq_len=40, test_fraction=0.05
    )
    with pytest.raises(ValueError, match="set is empty"):
        data.setup()


def test_held_out_sessions_validate_and_test_on_frames_training_never_sees():
    data = DanceDataModule(synthetic_sessions=1, synthetic_seconds=20.0,
                           synthetic_eval_seconds=10.0, eval_stride=5, hand_labelled=0.05)  # fmt: skip
    data.setup()
    split, trained_frames = data.split, 20 * 35
    assert split.train_unlabelled.max() + 40 <= trained_frames
    assert split.train_labelled.max() + 40 <= trained_frames
    assert split.val.min() == trained_frames and split.test.min() == trained_frames + 350
    assert split.val.max() + 40 <= trained_frames + 350 and split.test.max() + 40 <= 2 * 350 + 700
    assert np.all(np.diff(split.test) == 5) and len(split.val_labels) == len(split.val)
    assert len(set(split.val_labels.tolist()) | set(split.test_labels.tolist())) > 1
    x, y = next(iter(data.judge_dataloader()))  # the judge learns every training window's truth
    assert (
        len(data.judge_dataloader().dataset)
        == len(split.train_unlabelled)
        > len(split.train_labelled)
    )
    assert x.shape[1:] == (40, 159) and set(data.train_truth.tolist()) == {0, 1, 2}
    assert y.dtype == torch.long and len(y) == len(x)
    with pytest.raises(ValueError, match="synthetic dancer only"):
        DanceDataModule(["a.npy"], "l.csv", synthetic_eval_seconds=10.0)
