"""Beyond Imitation's pose autoencoder: one frame at a time through a small dense bottleneck.

With a 2-D latent every pose is a point in the plane, so a path drawn in that plane decodes to a
movement; the reference trains it with optional latent noise.
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

from polymath.foundation import SavableModel


def _dense(widths: list[int], slope: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in pairwise(widths):
        layers += [nn.Linear(a, b), nn.LeakyReLU(slope)]
    return nn.Sequential(*layers[:-1])  # no activation after the last layer


class PoseAutoencoder(SavableModel):
    def __init__(
        self, features: int = 159, hidden: int = 64, layers: int = 2, latent: int = 2,
        slope: float = 0.2,
    ) -> None:  # fmt: skip
        super().__init__()
        widths = [features, *[hidden] * layers, latent]
        self.encoder = _dense(widths, slope)
        self.decoder = _dense(widths[::-1], slope)

    def encode(self, poses: torch.Tensor) -> torch.Tensor:
        return self.encoder(poses)

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        return self.decoder(latent)

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(poses))

    @torch.no_grad()
    def along_path(self, path: torch.Tensor) -> torch.Tensor:
        """The poses of a path of latent points (frames, latent): a drawn movement."""
        return self.decode(path)
