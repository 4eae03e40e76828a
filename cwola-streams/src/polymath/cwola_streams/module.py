"""Training the CWoLa ensemble: binary cross-entropy, SR = 1 against SB = 0, per-member early stopping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor
from torch.nn.functional import binary_cross_entropy_with_logits

from polymath.cwola_streams.model import CWoLaClassifier
from polymath.foundation.ensembles import (
    EnsembleModule,
    MemberEarlyStopping,
    MemberMean,
    member_mean,
)

Batch = tuple[Tensor, Tensor, Tensor]


class CWoLaModule(EnsembleModule):
    """The 60 models of a patch (5 folds × 4 validation folds × 3 repeats) trained as one.

    Each member sees batches of its own training stars, (members, batch, features) with a weight
    that masks padding, so its loss and gradient are those of a model trained alone (Keras in the
    paper). Validation loss is per member on its own validation fold; early stopping with
    ``patience`` restores each member's best weights. ``init="keras"`` with ``adam_eps=1e-7`` are
    Keras' defaults (Glorot-uniform, zero biases); ``init="torch"`` with 1e-8 are PyTorch's.
    """

    def __init__(
        self,
        members: int = 60,
        in_features: int = 5,
        hidden: Sequence[int] = (256, 256, 256),
        dropout: float = 0.2,
        init: Literal["keras", "torch"] = "keras",
        lr: float = 1e-3,
        adam_eps: float = 1e-7,
        patience: int = 20,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = CWoLaClassifier(members, in_features, hidden, dropout, init, seed)
        self.member_stopping = MemberEarlyStopping(self.model, patience=patience)
        self.val_loss = MemberMean(members)

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        if stage != "fit" or datamodule is None:
            return
        if datamodule.members != self.hparams.members:
            raise ValueError(
                f"the data's nested k-fold has {datamodule.members} models per patch but "
                f"model.members={self.hparams.members}: set them equal"
            )
        self.model.set_standardization(*datamodule.standardization)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)

    def _per_member_loss(self, batch: Batch) -> tuple[Tensor, Tensor]:
        x, y, weight = batch
        loss = binary_cross_entropy_with_logits(self.model(x), y, reduction="none")
        return loss, weight

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        loss, weight = self._per_member_loss(batch)
        per_member = member_mean(loss, weight).nan_to_num(0.0)
        self.log_members("train/loss", per_member.detach())
        return self.active_loss(per_member)

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        loss, weight = self._per_member_loss(batch)
        self.val_loss.update(loss, weight)

    def on_validation_epoch_end(self) -> None:
        values = self.val_loss.compute().float()
        self.val_loss.reset()
        self.log_members("val/loss", values)
        self.stop_members(values)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr, eps=self.hparams.adam_eps)
