"""The LightningDataModule: windows of the synthetic dancer or of real ``.npy`` sessions, labelled
and unlabelled training loaders side by side, and labelled validation and test windows."""

from __future__ import annotations

from typing import Literal

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import CombinedLoader
from torch.utils.data import DataLoader, Dataset

from polymath.pirounet.data.formats import TRIM_FRAMES, read_labels, read_session, scale_pirounet
from polymath.pirounet.data.simulate import simulate_dancer, window_efforts
from polymath.pirounet.data.windows import (
    Split,
    augment_labels,
    leak_free_split,
    reference_split,
    window_starts,
)  # fmt: skip


class Windows(Dataset):
    """Windows cut on the fly from (frames, features) poses: x, or (x, y) when labels are given."""

    def __init__(self, poses: torch.Tensor, starts: np.ndarray, seq_len: int,
                 labels: np.ndarray | None = None) -> None:  # fmt: skip
        self.poses, self.seq_len = poses, seq_len
        self.starts = torch.as_tensor(starts, dtype=torch.long)
        self.labels = None if labels is None else torch.as_tensor(labels, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int):
        start = int(self.starts[i])
        x = self.poses[start : start + self.seq_len]
        return x if self.labels is None else (x, self.labels[i])


class DanceDataModule(L.LightningDataModule):
    """Real sessions (``sessions`` = .npy paths with a ``labels`` CSV of Time effort) or, without
    them, the synthetic dancer, whose first ``hand_labelled`` share of windows is labelled the way
    the reference's 347 windows were (consecutive, non-overlapping, from the start) and whose
    validation and test windows all carry their ground truth.

    With ``synthetic_eval_seconds > 0`` the synthetic dancer's validation and test sets are two
    further, independent sessions of that length (windows every ``eval_stride`` frames) and all the
    training sessions train: a block of 10 % of two minutes holds only two or three moves, too few
    for an accuracy to mean anything.
    """

    def __init__(
        self,
        sessions: list[str] | None = None,
        labels: str | None = None,
        trim: int = TRIM_FRAMES,
        synthetic_sessions: int = 2,
        synthetic_seconds: float = 60.0,
        synthetic_eval_seconds: float = 0.0,
        eval_stride: int = 5,
        hand_labelled: float = 0.01,
        augment: bool = True,
        seq_len: int = 40,
        stride: int = 1,
        cross_sessions: bool = False,
        split: Literal["leak_free", "reference"] = "leak_free",
        fraction_label: float = 0.789,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        batch_size: int = 80,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False)
        if (sessions is None) != (labels is None):
            raise ValueError("data.sessions and data.labels go together (or neither: synthetic)")
        if synthetic_eval_seconds and sessions is not None:
            raise ValueError("data.synthetic_eval_seconds is for the synthetic dancer only")
        if not 0 < hand_labelled < 1:
            raise ValueError(f"hand_labelled must be in (0, 1), found {hand_labelled}")
        self.split: Split | None = None
        self.train_truth: np.ndarray | None = (
            None  # ground truth of the training windows (synthetic)
        )

    def setup(self, stage: str | None = None) -> None:
        if self.split is not None:
            return
        h = self.hparams
        held_out = None
        if h.sessions is None:
            dance = simulate_dancer(h.synthetic_sessions, h.synthetic_seconds, h.seed)
            poses, lengths = dance.poses, dance.session_lengths
            if h.synthetic_eval_seconds > 0:
                held_out = simulate_dancer(2, h.synthetic_eval_seconds, (h.seed, 1))
                poses = np.concatenate([poses, held_out.poses])  # scaled together, as sessions are
        else:
            parts = [read_session(path, h.trim) for path in h.sessions]
            poses, lengths = np.concatenate(parts), [len(p) for p in parts]
        self.poses = torch.from_numpy(scale_pirounet(poses).reshape(len(poses), -1))
        if held_out is not None:
            self.split = self._held_out_split(dance, held_out)
        else:
            self.split = self._timeline_split(lengths, dance if h.sessions is None else None)
        if h.sessions is None:
            self.train_truth = window_efforts(dance.effort, self.split.train_unlabelled, h.seq_len)
        for name in ("train_labelled", "train_unlabelled", "val", "test"):
            if len(getattr(self.split, name)) == 0:
                raise ValueError(f"the {name} set is empty: more data or other fractions needed")

    def _timeline_split(self, lengths: list[int], dance=None) -> Split:
        """The reference or leak-free split of one timeline of sessions (real, or synthetic)."""
        h = self.hparams
        starts = window_starts(lengths, h.seq_len, h.stride, h.cross_sessions)
        if dance is not None:
            truth = window_efforts(dance.effort, starts, h.seq_len)
            hand, hand_labels = self._hand_labels(starts, truth)
        else:
            table = read_labels(h.labels)
            hand, hand_labels = table.starts, table.time
            if hand.max() > starts.max():
                raise ValueError(f"{h.labels}: start {hand.max()} is past the last window")
        labelled, labels = self._augmented(hand, hand_labels, starts)
        if h.split == "reference":
            return reference_split(labelled, labels, starts, h.fraction_label)
        total = int(sum(lengths))
        split = leak_free_split(labelled, labels, starts, total, h.seq_len, h.val_fraction,
                                h.test_fraction)  # fmt: skip
        if dance is None:
            return split
        # the synthetic dancer's held-out windows all have ground truth
        truth_split = leak_free_split(starts, truth, starts, total, h.seq_len, h.val_fraction,
                                      h.test_fraction)  # fmt: skip
        return Split(split.train_labelled, split.train_labels, split.train_unlabelled,
                     truth_split.val, truth_split.val_labels, truth_split.test,
                     truth_split.test_labels)  # fmt: skip

    def _held_out_split(self, dance, held_out) -> Split:
        """All training sessions train; the two held-out sessions validate and test."""
        h = self.hparams
        starts = window_starts(dance.session_lengths, h.seq_len, h.stride)
        hand, hand_labels = self._hand_labels(
            starts, window_efforts(dance.effort, starts, h.seq_len)
        )
        labelled, labels = self._augmented(hand, hand_labels, starts)
        sets, offset = [], 0
        for length in held_out.session_lengths:
            local = window_starts([length], h.seq_len, h.eval_stride)
            effort = held_out.effort[offset : offset + length]
            sets += [local + len(dance.poses) + offset, window_efforts(effort, local, h.seq_len)]
            offset += length
        return Split(labelled, labels, starts, *sets)

    def _hand_labels(self, starts: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The synthetic "hand" labels: consecutive non-overlapping windows from the start."""
        h = self.hparams
        hand = np.arange(0, round(h.hand_labelled * len(starts))) * h.seq_len
        hand = hand[np.isin(hand, starts)]
        return hand, truth[np.searchsorted(starts, hand)]

    def _augmented(self, hand, hand_labels, starts) -> tuple[np.ndarray, np.ndarray]:
        if self.hparams.augment:
            labelled, labels = augment_labels(hand, hand_labels, self.hparams.seq_len,
                                              max_start=starts.max())  # fmt: skip
        else:
            labelled, labels = hand[hand_labels != 3], hand_labels[hand_labels != 3]
        keep = np.isin(labelled, starts)  # no labelled window across sessions unless allowed
        return labelled[keep], labels[keep]

    def _loader(self, starts, labels=None, shuffle: bool = False) -> DataLoader:
        windows = Windows(self.poses, starts, self.hparams.seq_len, labels)
        return DataLoader(windows, batch_size=self.hparams.batch_size, shuffle=shuffle)

    def labelled_dataloader(self) -> DataLoader:
        return self._loader(self.split.train_labelled, self.split.train_labels, shuffle=True)

    def judge_dataloader(self) -> DataLoader:
        """Windows for the separately trained feature classifier: every training window with its
        ground truth (synthetic dancer) or, for real data, the labelled training windows."""
        if self.train_truth is None:
            return self.labelled_dataloader()
        return self._loader(self.split.train_unlabelled, self.train_truth, shuffle=True)

    def batch_counts(self) -> tuple[int, int]:
        """Batches per epoch: (unlabelled, labelled)."""
        size = self.hparams.batch_size
        return (
            -(-len(self.split.train_unlabelled) // size),
            -(-len(self.split.train_labelled) // size),
        )

    def train_dataloader(self) -> CombinedLoader:
        """An epoch walks the unlabelled windows once and cycles the labelled ones."""
        loaders = {
            "labelled": self.labelled_dataloader(),
            "unlabelled": self._loader(self.split.train_unlabelled, shuffle=True),
        }
        return CombinedLoader(loaders, mode="max_size_cycle")

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.split.val, self.split.val_labels)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.split.test, self.split.test_labels)
