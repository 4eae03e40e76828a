"""Training logic of Beyond Imitation's three models."""

from __future__ import annotations

from typing import Literal

import lightning as L
import torch
from torch.nn import functional as F

from polymath.foundation import load_model
from polymath.pirounet.augment import rotate_about_z
from polymath.pirounet.losses import average_joint_distance, kl_divergence
from polymath.pirounet.mdn import MixtureDensityRNN
from polymath.pirounet.pose_autoencoder import PoseAutoencoder
from polymath.pirounet.sequence_vae import SequenceVAE


class _Adam(L.LightningModule):
    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


class MDNModule(_Adam):
    """Next-frame negative log-likelihood of the LSTM + MDN, in the chosen reading of the mixture."""

    def __init__(
        self, features: int = 159, hidden: int = 32, layers: int = 3, mixtures: int = 3,
        dense: int = 64, reading: Literal["joint", "per_dimension"] = "joint", lr: float = 1.0e-3,
        init_from: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.model = load_model(init_from) if init_from else MixtureDensityRNN(
            features, hidden, layers, mixtures, dense)  # fmt: skip

    def _nll(self, batch) -> torch.Tensor:
        frames, target = batch
        return self.model.negative_log_likelihood(
            *self.model(frames), target, self.hparams.reading
        ).mean()

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss = self._nll(batch)
        self.log("train/nll", loss)
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        self.log("val/nll", self._nll(batch), prog_bar=True)

    def test_step(self, batch, batch_idx: int) -> None:
        self.log("test/nll", self._nll(batch))


class PoseAEModule(_Adam):
    """Mean squared error of the pose autoencoder; ``latent_noise`` perturbs the code in training."""

    def __init__(
        self, features: int = 159, hidden: int = 64, layers: int = 2, latent: int = 2,
        slope: float = 0.2, latent_noise: float = 0.0, lr: float = 3.0e-4,
        init_from: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.model = load_model(init_from) if init_from else PoseAutoencoder(
            features, hidden, layers, latent, slope)  # fmt: skip

    def training_step(self, poses: torch.Tensor, batch_idx: int) -> torch.Tensor:
        code = self.model.encode(poses)
        code = code + self.hparams.latent_noise * torch.randn_like(code)
        loss = F.mse_loss(self.model.decode(code), poses)
        self.log("train/mse", loss)
        return loss

    def validation_step(self, poses: torch.Tensor, batch_idx: int) -> None:
        self.log("val/mse", F.mse_loss(self.model(poses), poses), prog_bar=True)

    def test_step(self, poses: torch.Tensor, batch_idx: int) -> None:
        self.log("test/mse", F.mse_loss(self.model(poses), poses))


class SeqVAEModule(_Adam):
    """Loss = 1/2 mean squared error / resolution^2 + kl_weight x KL (the reference's form), with
    every training phrase turned by a random angle about the vertical axis (``rotate``)."""

    def __init__(
        self, seq_len: int = 128, features: int = 159, hidden: int = 384, layers: int = 2,
        latent: int = 256, kl_weight: float = 2.0e-4, resolution: float = 0.3, rotate: bool = True,
        lr: float = 1.0e-3, init_from: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.model = load_model(init_from) if init_from else SequenceVAE(
            seq_len, features, hidden, layers, latent)  # fmt: skip

    def on_fit_start(self) -> None:
        data = self.trainer.datamodule
        if data is not None and data.hparams.seq_len != self.hparams.seq_len:
            raise ValueError(
                f"model.seq_len {self.hparams.seq_len} differs from data.seq_len {data.hparams.seq_len}"
            )

    def _loss(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        reconstruction, mean, log_var = self.model(x)
        mse = (reconstruction - x).pow(2).mean()
        kl = kl_divergence(mean, log_var, "standard").mean()
        return 0.5 * mse / self.hparams.resolution**2 + self.hparams.kl_weight * kl, reconstruction

    def training_step(self, x: torch.Tensor, batch_idx: int) -> torch.Tensor:
        if self.hparams.rotate:
            x = rotate_about_z(x)
        loss, reconstruction = self._loss(x)
        self.log_dict(
            {"train/loss": loss, "train/ajd": average_joint_distance(x, reconstruction.detach())}
        )
        return loss

    def validation_step(self, x: torch.Tensor, batch_idx: int) -> None:
        loss, reconstruction = self._loss(x)
        self.log_dict(
            {"val/loss": loss, "val/ajd": average_joint_distance(x, reconstruction)}, prog_bar=True
        )

    def test_step(self, x: torch.Tensor, batch_idx: int) -> None:
        loss, reconstruction = self._loss(x)
        self.log_dict({"test/loss": loss, "test/ajd": average_joint_distance(x, reconstruction)})
