"""The unlabelled data of Beyond Imitation's models: single frames (pose autoencoder), a look-back
and the next frame (MDN-RNN), or phrases (sequence VAE), with a leak-free time split."""

from __future__ import annotations

from typing import Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from polymath.pirounet.data.formats import (
    TRIM_FRAMES,
    read_session,
    scale_beyond_imitation,
    scale_pirounet,
)  # fmt: skip
from polymath.pirounet.data.simulate import simulate_dancer
from polymath.pirounet.data.windows import leak_free_split, window_starts

Kind = Literal["frames", "next_frame", "windows"]


class Motion(Dataset):
    """Items cut from (frames, features) poses at the given starts."""

    def __init__(self, poses: torch.Tensor, starts: np.ndarray, kind: Kind, seq_len: int) -> None:
        self.poses, self.kind, self.seq_len = poses, kind, seq_len
        self.starts = torch.as_tensor(starts, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int):
        s = int(self.starts[i])
        if self.kind == "frames":
            return self.poses[s]
        if self.kind == "next_frame":
            return self.poses[s : s + self.seq_len], self.poses[s + self.seq_len]
        return self.poses[s : s + self.seq_len]


class MotionDataModule(L.LightningDataModule):
    """Real sessions (``.npy`` paths) or the synthetic dancer, scaled the way each model of Beyond
    Imitation was trained (``beyond_imitation``: rotation and min-max; ``pirounet``: quantiles and
    xy-centring, as the sequence VAE), never across sessions, split into training, validation and
    test blocks of time with no shared frame.

    ``kind``: ``frames`` (one pose), ``next_frame`` (``seq_len`` look-back frames and the next one),
    ``windows`` (phrases of ``seq_len`` frames).
    """

    def __init__(
        self,
        kind: Kind = "windows",
        sessions: list[str] | None = None,
        trim: int = TRIM_FRAMES,
        synthetic_sessions: int = 2,
        synthetic_seconds: float = 60.0,
        scaling: Literal["pirounet", "beyond_imitation"] = "pirounet",
        seq_len: int = 128,
        stride: int = 1,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        batch_size: int = 128,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False)
        self.splits: dict[str, np.ndarray] | None = None

    @property
    def span(self) -> int:
        """Frames one item covers."""
        h = self.hparams
        return {"frames": 1, "next_frame": h.seq_len + 1, "windows": h.seq_len}[h.kind]

    def setup(self, stage: str | None = None) -> None:
        if self.splits is not None:
            return
        h = self.hparams
        if h.sessions is None:
            dance = simulate_dancer(h.synthetic_sessions, h.synthetic_seconds, h.seed)
            poses, lengths = dance.poses, dance.session_lengths
        else:
            parts = [read_session(path, h.trim) for path in h.sessions]
            poses, lengths = np.concatenate(parts), [len(p) for p in parts]
        scale = scale_pirounet if h.scaling == "pirounet" else scale_beyond_imitation
        self.poses = torch.from_numpy(scale(poses).reshape(len(poses), -1))
        starts = window_starts(lengths, self.span, h.stride)
        split = leak_free_split(starts, np.zeros_like(starts), starts, len(poses), self.span,
                                h.val_fraction, h.test_fraction)  # fmt: skip
        self.splits = {"train": split.train_unlabelled, "val": split.val, "test": split.test}
        for name, chosen in self.splits.items():
            if len(chosen) == 0:
                raise ValueError(f"the {name} set is empty: more data or other fractions needed")

    def _loader(self, name: str, shuffle: bool = False) -> DataLoader:
        h = self.hparams
        items = Motion(self.poses, self.splits[name], h.kind, h.seq_len)
        return DataLoader(items, batch_size=h.batch_size, shuffle=shuffle)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")
