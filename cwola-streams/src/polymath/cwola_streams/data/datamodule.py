"""One patch ready for CWoLa: its SR ∪ SB stars, features, nested folds and per-member batches."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from polymath.cwola_streams.data.batches import MemberBatches
from polymath.cwola_streams.data.formats import Patch, label_members, load_members, load_patch
from polymath.cwola_streams.data.simulate import StreamModel, simulate_patch
from polymath.cwola_streams.features import features
from polymath.cwola_streams.folds import NestedFolds, nested_folds
from polymath.cwola_streams.windows import Window, oracle_window


class PatchDataModule(L.LightningDataModule):
    """A patch (simulated, or read from ``patch_file``) cut to its window and split into folds.

    The stream labels come from the file's 11th column, from ``members_file`` (cross-matched
    within 1e-4), or from the simulator. The window is the paper's oracle placement (median ±
    k σ of the labelled stream stars) unless ``window_center`` and ``sr_half``/``sb_half`` give it.
    ``labels="truth"`` trains on stream against field within the same window instead of SR
    against SB: the fully supervised classifier, the bound CWoLa approaches.
    """

    def __init__(
        self,
        patch_file: str | None = None,
        members_file: str | None = None,
        n_background: int = 50_000,
        n_stream: int = 300,
        simulation_seed: int = 0,
        stream_age_myr: float = 1500.0,
        center_ra: float = 156.2,
        center_dec: float = 57.5,
        variable: Literal["pmlambda", "pmphi"] = "pmlambda",
        k_sr: float = 0.25,
        k_sb: float = 0.5,
        window_center: float | None = None,
        sr_half: float | None = None,
        sb_half: float | None = None,
        n_folds: int = 5,
        repeats: int = 3,
        fold_seed: int = 15,
        batch_size: int = 10_000,
        labels: Literal["cwola", "truth"] = "cwola",
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self._patch: Patch | None = None

    @classmethod
    def from_patch(cls, patch: Patch, **kwargs: object) -> PatchDataModule:
        """A datamodule of a patch already in memory (simulated or read by the caller)."""
        datamodule = cls(**kwargs)
        datamodule._patch = patch
        return datamodule

    @cached_property
    def patch(self) -> Patch:
        hp = self.hparams
        if self._patch is not None:
            return self._patch
        if hp.patch_file is None:
            return simulate_patch(
                hp.n_background,
                hp.n_stream,
                hp.center_ra,
                hp.center_dec,
                seed=hp.simulation_seed,
                stream=StreamModel(age_myr=hp.stream_age_myr),
            )
        patch = load_patch(hp.patch_file)
        if hp.members_file is not None:
            patch = Patch(patch.stars, label_members(patch, load_members(hp.members_file)))
        return patch

    @cached_property
    def window(self) -> Window:
        hp = self.hparams
        if hp.window_center is not None:
            if hp.sr_half is None or hp.sb_half is None:
                raise ValueError("a window given by window_center also needs sr_half and sb_half")
            return Window(hp.window_center, hp.sr_half, hp.sb_half, hp.variable)
        if self.patch.is_stream is None:
            raise ValueError(
                "the oracle window needs labelled stream stars: give members_file, a mock with "
                "the 11th column, or window_center, sr_half and sb_half"
            )
        return oracle_window(self.patch, self.patch.is_stream, hp.k_sr, hp.k_sb, hp.variable)

    @cached_property
    def selection(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices into the patch of the SR ∪ SB stars, their labels: 1 = SR, 0 = SB)."""
        index, labels = self.window.split(self.patch)
        if self.hparams.labels == "truth":
            if self.patch.is_stream is None:
                raise ValueError("labels='truth' needs labelled stream stars")
            labels = self.patch.is_stream[index].astype(np.int64)
        return index, labels

    @cached_property
    def folds(self) -> NestedFolds:
        hp = self.hparams
        return nested_folds(self.selection[1], hp.n_folds, hp.fold_seed, hp.repeats)

    @property
    def members(self) -> int:
        n_folds = self.hparams.n_folds
        return n_folds * (n_folds - 1) * self.hparams.repeats

    @cached_property
    def inputs(self) -> torch.Tensor:
        index, _ = self.selection
        return torch.from_numpy(features(self.patch, self.hparams.variable)[index])

    @cached_property
    def _masks(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return tuple(torch.from_numpy(m) for m in self.folds.masks())

    @property
    def standardization(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-member (members, features) mean and standard deviation of the training stars."""
        train = self._masks[0].double()
        x = self.inputs.double()
        count = train.sum(1, keepdim=True)
        mean = train @ x / count
        var = train @ (x**2) / count - mean**2
        return mean.float(), var.clamp_min(0).sqrt().float()

    def setup(self, stage: str) -> None:
        _ = self.folds  # resolves the window and folds now, so bad input fails before fitting

    def _batches(self, mask: torch.Tensor, shuffle: bool) -> DataLoader:
        labels = torch.from_numpy(self.selection[1])
        dataset = MemberBatches(
            self.inputs, labels, mask, self.hparams.batch_size, shuffle, self.hparams.fold_seed
        )
        return DataLoader(dataset, batch_size=None)

    def train_dataloader(self) -> DataLoader:
        return self._batches(self._masks[0], shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._batches(self._masks[1], shuffle=False)
