"""The paper's supervised baselines, in plain torch: a ResNet on images, the Conv+Attention
network on spectra (spender-like), and an MLP on g,r,z photometry; each regresses redshift and
the properties at once, on targets standardised with training statistics (MSE)."""

from __future__ import annotations

from typing import Literal

import lightning as L
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from polymath.astroclip.data.preprocess import preprocess_images
from polymath.astroclip.model import SPECTRUM_LENGTH
from polymath.foundation import SavableModel
from polymath.foundation.schedules import warmup_cosine

RESNET_PRESETS = {
    "paper": dict(channels=64, blocks=(2, 2, 2, 2)),  # ResNet18
    "cpu": dict(channels=16, blocks=(1, 1, 1, 1)),
}


class BasicBlock(nn.Module):
    def __init__(self, inputs: int, outputs: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.shortcut = (
            nn.Sequential(
                nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs)
            )
            if stride != 1 or inputs != outputs
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet(SavableModel):
    """ResNet18-style regressor on (B, 3, 144, 144): a 7x7 stem and max-pool, four stages that
    double the channels and halve the size, global average pooling, a linear head."""

    def __init__(
        self, outputs: int = 5, channels: int = 16, blocks: tuple[int, ...] = (1, 1, 1, 1)
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, channels, 7, 2, 3, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.MaxPool2d(3, 2, 1),
        )
        layers, width = [], channels
        for stage, count in enumerate(blocks):
            out = channels * 2**stage
            for i in range(count):
                layers.append(BasicBlock(width, out, 2 if stage and not i else 1))
                width = out
        self.stages = nn.Sequential(*layers)
        self.head = nn.Linear(width, outputs)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(images)).mean((2, 3)))


class SpectrumConvAttention(SavableModel):
    """Conv+Att (after spender): four 1D conv layers (filters 8/16/16/32, kernels 5/11/21/41:
    the reference's 5/10/20/40 made odd so that the padding is symmetric; instance norm, PReLU,
    max-pools between them); the last layer's channels split into values
    and softmax attention over wavelength; the pooled values, with each spectrum's mean and
    standard deviation (it sees standardised spectra), go through an MLP."""

    def __init__(
        self,
        outputs: int = 5,
        filters: tuple[int, ...] = (8, 16, 16, 32),
        kernels: tuple[int, ...] = (5, 11, 21, 41),
        hidden: int = 64,
    ) -> None:
        super().__init__()
        if filters[-1] % 2:
            raise ValueError(f"the last filter count {filters[-1]} must split into two halves")
        layers: list[nn.Module] = []
        inputs = 1
        for i, (count, kernel) in enumerate(zip(filters, kernels)):
            layers += [
                nn.Conv1d(inputs, count, kernel, padding="same"),
                nn.InstanceNorm1d(count, affine=True),
                nn.PReLU(count),
            ]
            if i < len(filters) - 1:
                layers.append(nn.MaxPool1d(2))
            inputs = count
        self.convolutions = nn.Sequential(*layers)
        self.mlp = nn.Sequential(
            nn.Linear(filters[-1] // 2 + 2, hidden),
            nn.PReLU(),
            nn.Linear(hidden, hidden),
            nn.PReLU(),
            nn.Linear(hidden, outputs),
        )

    def forward(self, spectra: torch.Tensor) -> torch.Tensor:
        spectra = spectra.reshape(len(spectra), -1)
        if spectra.shape[1] != SPECTRUM_LENGTH:
            raise ValueError(f"spectra must have {SPECTRUM_LENGTH} pixels, got {spectra.shape[1]}")
        mean, std = spectra.mean(1, keepdim=True), spectra.std(1, keepdim=True).clamp(min=0.2)
        features = self.convolutions(((spectra - mean) / std)[:, None])
        values, attention = features.chunk(2, dim=1)
        pooled = (values * attention.softmax(-1)).sum(-1)
        return self.mlp(torch.cat([pooled, mean.asinh(), std.log()], 1))


class PhotometryMLP(SavableModel):
    """An MLP (hidden 64, 64) on g,r,z magnitudes."""

    def __init__(self, outputs: int = 5, hidden: tuple[int, ...] = (64, 64)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = 3
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.net = nn.Sequential(*layers, nn.Linear(width, outputs))

    def forward(self, magnitudes: torch.Tensor) -> torch.Tensor:
        return self.net(magnitudes)


def aperture_magnitudes(images: np.ndarray, radius: float = 16.0) -> np.ndarray:
    """g,r,z AB magnitudes in a circular aperture (pixels) around the centre of (N, H, W, 3)
    nanomaggie cutouts: the photometry a catalogue would give, measured on the noisy images."""
    height, width = images.shape[1:3]
    y, x = np.indices((height, width))
    inside = np.hypot(x - (width - 1) / 2, y - (height - 1) / 2) < radius
    flux = images[:, inside].sum(1)
    return (22.5 - 2.5 * np.log10(np.clip(flux, 1e-2, None))).astype(np.float32)


Kind = Literal["image", "spectrum", "photometry"]


class SupervisedModule(L.LightningModule):
    """Trains one baseline on ``{"inputs", "targets"}`` batches (targets standardised); images
    arrive as fluxes and are mapped to RGB here, with random flips and 90-degree turns."""

    def __init__(
        self,
        kind: Kind = "image",
        outputs: int = 5,
        preset: Literal["cpu", "paper"] = "cpu",
        lr: float = 5.0e-4,
        warmup_steps: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False)  # one run fits several kinds; its config is logged
        self.model = {
            "image": lambda: ResNet(outputs, **RESNET_PRESETS[preset]),
            "spectrum": lambda: SpectrumConvAttention(outputs),
            "photometry": lambda: PhotometryMLP(outputs),
        }[kind]()

    def prepare(self, inputs: torch.Tensor, augment: bool) -> torch.Tensor:
        if self.hparams.kind != "image":
            return inputs
        images = preprocess_images(inputs)
        if augment:
            if torch.rand(()) < 0.5:
                images = images.flip(3)
            images = images.rot90(int(torch.randint(0, 4, ())), (2, 3))
        return images

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(self.prepare(inputs, augment=False))

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        predicted = self.model(self.prepare(batch["inputs"], augment=True))
        loss = F.mse_loss(predicted, batch["targets"])
        self.log(f"{self.hparams.kind}/train_loss", loss, prog_bar=True)
        return loss

    def predict_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self(batch["inputs"])

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        loss = F.mse_loss(self(batch["inputs"]), batch["targets"])
        self.log(f"{self.hparams.kind}/val_loss", loss, batch_size=len(batch["targets"]))

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        total = self.trainer.estimated_stepping_batches if self.trainer else 1
        scheduler = warmup_cosine(optimizer, self.hparams.warmup_steps, int(total))
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }
