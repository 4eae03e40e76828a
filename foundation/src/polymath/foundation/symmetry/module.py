"""The LightningModule of the symmetry recipes: binary top tagging with any of the four taggers."""

from __future__ import annotations

import lightning as L
import torch
from jsonargparse.typing import PositiveInt, restricted_number_type
from torch import Tensor
from torch.nn import functional as F

from polymath.foundation.symmetry.groups import MAX_TESTED_RAPIDITY
from polymath.foundation.symmetry.taggers import Architecture, build_tagger
from polymath.foundation.symmetry.tagging import boost_along_jet, invariance_errors, tagging_metrics

TestedRapidity = restricted_number_type(
    "TestedRapidity", float, [(">=", 0), ("<=", MAX_TESTED_RAPIDITY)]
)
"""A rapidity within the range the layers are tested equivariant in: refused before a run otherwise."""


class TaggerModule(L.LightningModule):
    """Trains a tagger with binary cross-entropy; tests accuracy, AUC, 1/ε_B, equivariance, robustness.

    ``test_boost`` is the rapidity of the boost along each jet's axis applied to the robustness test
    set; ``equivariance_rapidity`` bounds the random Lorentz transformations of the equivariance test.
    """

    def __init__(
        self,
        architecture: Architecture = "lorentznet",
        hidden: PositiveInt = 32,
        layers: PositiveInt = 3,
        dropout: float = 0.0,
        max_constituents: int = 30,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        test_boost: float = 1.0,
        equivariance_rapidity: TestedRapidity = 2.0,
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        hidden, layers = int(hidden), int(layers)  # plain types in hparams and checkpoints
        equivariance_rapidity = float(equivariance_rapidity)
        if hidden < 1 or layers < 1:
            raise ValueError(f"hidden and layers must be >= 1, got {hidden} and {layers}")
        if not 0 <= equivariance_rapidity <= MAX_TESTED_RAPIDITY:
            raise ValueError(
                f"equivariance_rapidity must be in [0, {MAX_TESTED_RAPIDITY}] (the tested range), "
                f"got {equivariance_rapidity}"
            )
        self.save_hyperparameters()
        if init_from is not None:
            from polymath.foundation import load_model

            self.model = load_model(init_from)
        else:
            self.model = build_tagger(architecture, hidden, layers, dropout, max_constituents)
        self.example_input_array = torch.zeros(2, max_constituents, 4)
        self._test: dict[str, list[Tensor]] = {}

    def forward(self, p: Tensor) -> Tensor:
        return self.model(p)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        p, labels = batch
        loss = F.binary_cross_entropy_with_logits(self.model(p), labels.float())
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        p, labels = batch
        logits = self.model(p)
        self.log(
            "val/loss", F.binary_cross_entropy_with_logits(logits, labels.float()), prog_bar=True
        )
        self.log("val/acc", ((logits > 0).long() == labels).float().mean(), prog_bar=True)

    def on_test_epoch_start(self) -> None:
        self._test = {"scores": [], "boosted": [], "labels": [], "sample": []}

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        p, labels = batch
        self._test["scores"].append(torch.sigmoid(self.model(p)))
        self._test["boosted"].append(
            torch.sigmoid(self.model(boost_along_jet(p, self.hparams.test_boost)))
        )
        self._test["labels"].append(labels)
        if batch_idx == 0:
            self._test["sample"].append(p[:256])

    def on_test_epoch_end(self) -> None:
        labels = torch.cat(self._test["labels"])
        metrics = {
            f"test/{k}": v
            for k, v in tagging_metrics(torch.cat(self._test["scores"]), labels).items()
        }
        boosted = tagging_metrics(torch.cat(self._test["boosted"]), labels)
        metrics["test/acc_boosted"] = boosted["acc"]
        errors = invariance_errors(
            self.model, self._test["sample"][0], self.hparams.equivariance_rapidity
        )
        metrics.update({f"test/{k}": v for k, v in errors.items()})
        metrics["test/parameters"] = float(sum(p.numel() for p in self.model.parameters()))
        self.log_dict(metrics)

    def configure_optimizers(self):
        return torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
