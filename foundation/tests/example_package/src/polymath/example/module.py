from typing import Literal

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from polymath.example.model import Linear
from polymath.foundation import load_model


class Regression(L.LightningModule):
    def __init__(
        self,
        features: int = 4,
        lr: float = 0.1,
        optimizer: Literal["adam", "sgd"] = "adam",
        fail_at_step: int | None = None,
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = load_model(init_from) if init_from else Linear(features)
        self.example_input_array = torch.zeros(2, features)

    def forward(self, x):
        return self.model(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.model(x), y)
        if self.hparams.fail_at_step is not None and self.global_step >= self.hparams.fail_at_step:
            loss = loss * float("nan")
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val/loss", nn.functional.mse_loss(self.model(x), y))

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test/loss", nn.functional.mse_loss(self.model(x), y))

    def configure_optimizers(self):
        optimizer = torch.optim.Adam if self.hparams.optimizer == "adam" else torch.optim.SGD
        return optimizer(self.parameters(), lr=self.hparams.lr)


class RegressionData(L.LightningDataModule):
    def __init__(self, samples: int = 256, features: int = 4, batch_size: int = 32, seed: int = 0):
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
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


def report(ctx, module, datamodule) -> None:
    ctx.log_metrics({"report/weight_norm": module.model.layer.weight.detach().norm().item()})


def check(config, module, datamodule) -> None:
    """The package's check of the model and data together (the contract's optional ``check``)."""
    x, _ = datamodule.dataset[0]
    if module.hparams.features != len(x):
        raise ValueError(
            f"model.features={module.hparams.features} does not match the data's {len(x)} "
            f"features; accepted: model.features = data.features = {len(x)}"
        )
