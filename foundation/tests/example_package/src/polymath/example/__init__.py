"""A linear regression on a seeded synthetic data set: the contract with nothing else in the way."""

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from polymath.foundation import PaperPackage, Recipe


class Regression(L.LightningModule):
    def __init__(self, features: int = 4, lr: float = 0.1, fail_at_step: int | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = nn.Linear(features, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.model(x).squeeze(-1), y)
        if self.hparams.fail_at_step is not None and self.global_step >= self.hparams.fail_at_step:
            loss = loss * float("nan")
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val/loss", nn.functional.mse_loss(self.model(x).squeeze(-1), y))

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test/loss", nn.functional.mse_loss(self.model(x).squeeze(-1), y))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


class RegressionData(L.LightningDataModule):
    def __init__(self, samples: int = 256, features: int = 4, batch_size: int = 32, seed: int = 0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        x = torch.randn(samples, features, generator=generator)
        y = x @ torch.arange(1.0, features + 1) + 0.01 * torch.randn(samples, generator=generator)
        self.dataset = TensorDataset(x, y)
        self.batch_size = batch_size

    def train_dataloader(self):
        return DataLoader(self.dataset, batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.dataset, batch_size=self.batch_size)

    def test_dataloader(self):
        return DataLoader(self.dataset, batch_size=self.batch_size)


def _config(steps: int) -> dict:
    return {
        "model": {"features": 4, "lr": 0.1, "fail_at_step": None},
        "data": {"samples": 256, "features": 4, "batch_size": 32, "seed": 0},
        "trainer": {"max_steps": steps, "progress": "plain", "log_every_n_steps": 1},
    }


PACKAGE = PaperPackage(
    name="example",
    distribution="polymath-example",
    summary="linear regression (contract example)",
    module=Regression,
    datamodule=RegressionData,
    recipes={
        "smoke": Recipe("a few steps", _config(8), headline="test/loss", paper_value="0"),
        "quick": Recipe("more steps", _config(64), headline="test/loss", paper_value="0"),
        "paper": Recipe("the full run", _config(512), headline="test/loss", paper_value="0"),
    },
)
