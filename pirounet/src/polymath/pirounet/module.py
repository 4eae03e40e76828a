"""Training logic: the M2 objective around PirouNet, and a classifier trained on labels alone."""

from __future__ import annotations

from typing import Literal

import lightning as L
import torch
from torch.nn import functional as F
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix

from polymath.foundation import load_model
from polymath.pirounet.augment import rotate_about_z
from polymath.pirounet.losses import (
    alpha_from_batches,
    average_joint_distance,
    labelled_loss,
    unlabelled_loss,
)  # fmt: skip
from polymath.pirounet.model import EffortClassifier, PirouNet


class _Evaluated(L.LightningModule):
    """Accuracy and a confusion matrix of q(y|x) on the validation and test windows."""

    def _metrics(self, n_labels: int) -> None:
        self.val_accuracy = MulticlassAccuracy(n_labels, average="micro")
        self.test_accuracy = MulticlassAccuracy(n_labels, average="micro")
        self.test_confusion = MulticlassConfusionMatrix(n_labels, normalize="true")

    def _classify(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def validation_step(self, batch, batch_idx: int) -> None:
        x, y = batch
        self.val_accuracy(self._classify(x), y)
        self.log("val/accuracy", self.val_accuracy, prog_bar=True)

    def test_step(self, batch, batch_idx: int) -> None:
        x, y = batch
        logits = self._classify(x)
        self.test_accuracy(logits, y)
        self.test_confusion.update(logits, y)
        self.log("test/accuracy", self.test_accuracy)


class PirouNetModule(_Evaluated):
    """M2: J = mean -L(x_lab, y) + mean -U(x_unlab) + alpha * CE(q(y|x_lab), y), Adam.

    ``alpha`` defaults to ``alpha_scale`` x (unlabelled batches / labelled batches), as PirouNet.
    ``kl_convention="reference"`` is PirouNet's KL (no 1/2, so twice the KL); "standard" the true one.
    ``rotate`` turns every training window about the vertical axis by a random angle (the
    reference has such an augmentation, unused).
    """

    def __init__(
        self,
        seq_len: int = 40,
        features: int = 159,
        n_labels: int = 3,
        hidden: int = 100,
        encoder_layers: int = 5,
        decoder_layers: int = 4,
        latent: int = 256,
        classifier_hidden: int = 100,
        classifier_layers: int = 2,
        kl_convention: Literal["reference", "standard"] = "reference",
        kl_weight: float = 1.0,
        alpha_scale: float = 0.1,
        alpha: float | None = None,
        rotate: bool = False,
        lr: float = 3.0e-4,
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = load_model(init_from) if init_from else PirouNet(
            seq_len, features, n_labels, hidden, encoder_layers, decoder_layers, latent,
            classifier_hidden, classifier_layers,
        )  # fmt: skip
        self.alpha = alpha
        self._metrics(n_labels)

    def _classify(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.classify(x)

    def on_fit_start(self) -> None:
        data = self.trainer.datamodule
        if data is not None and data.hparams.seq_len != self.hparams.seq_len:
            raise ValueError(
                f"model.seq_len {self.hparams.seq_len} differs from data.seq_len {data.hparams.seq_len}"
            )
        if self.hparams.alpha is None:
            counts = data.batch_counts()
            self.alpha = alpha_from_batches(*counts, scale=self.hparams.alpha_scale)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        (x, y), x_unlabelled = batch["labelled"], batch["unlabelled"]
        if self.hparams.rotate:
            x, x_unlabelled = rotate_about_z(x), rotate_about_z(x_unlabelled)
        h = self.hparams
        bound, reconstruction = labelled_loss(self.model, x, y, h.kl_convention, h.kl_weight)
        unlabelled = unlabelled_loss(self.model, x_unlabelled, h.kl_convention, h.kl_weight)
        cross_entropy = F.cross_entropy(self.model.classify(x), y)
        loss = bound.mean() + unlabelled.mean() + self.alpha * cross_entropy
        self.log_dict({
            "train/loss": loss, "train/labelled": bound.mean(), "train/unlabelled": unlabelled.mean(),
            "train/cross_entropy": cross_entropy,
            "train/ajd": average_joint_distance(x, reconstruction.detach()),
        }, prog_bar=False)  # fmt: skip
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        super().validation_step(batch, batch_idx)
        x, y = batch
        self.log("val/ajd", average_joint_distance(x, self.model(x, y)[0]))

    def test_step(self, batch, batch_idx: int) -> None:
        super().test_step(batch, batch_idx)
        x, y = batch
        self.log("test/ajd", average_joint_distance(x, self.model(x, y)[0]))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


class LabelledOnlyModule(_Evaluated):
    """The baseline: PirouNet's classifier trained by cross-entropy on the labelled windows alone."""

    def __init__(
        self, seq_len: int = 40, features: int = 159, n_labels: int = 3, hidden: int = 100,
        hidden_layers: int = 2, lr: float = 3.0e-4,
    ) -> None:  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.model = EffortClassifier(seq_len, features, hidden, hidden_layers, n_labels)
        self._metrics(n_labels)

    def _classify(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = F.cross_entropy(self.model(x), y)
        self.log("train/cross_entropy", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
