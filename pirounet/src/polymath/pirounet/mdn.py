"""Beyond Imitation's LSTM + mixture density network ("chor-rnn" style), in plain torch.

From ``look_back`` frames it predicts the next frame as a mixture of ``mixtures`` Gaussians, each
with its own mean and one isotropic sigma. Two readings of the mixture:

- ``joint`` (default): a proper distribution over the whole frame, log sum_k a_k N(x | m_k, s_k^2 I);
  generation samples a component, then a frame from it.
- ``per_dimension`` (the reference's code): the mixture is taken for every coordinate on its own
  and the log-likelihoods averaged; generation takes the mean of the most probable component, so
  motion tends to freeze or revert to the mean.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from polymath.foundation import SavableModel

Reading = Literal["joint", "per_dimension"]


class MixtureDensityRNN(SavableModel):
    def __init__(
        self, features: int = 159, hidden: int = 32, layers: int = 3, mixtures: int = 3,
        dense: int = 64,
    ) -> None:  # fmt: skip
        super().__init__()
        self.features, self.mixtures = features, mixtures
        self.lstm = nn.LSTM(features, hidden, layers, batch_first=True)
        self.dense = nn.Sequential(nn.Linear(hidden, dense), nn.ReLU())
        self.means = nn.Linear(dense, mixtures * features)
        self.log_sigmas = nn.Linear(dense, mixtures)
        self.logits = nn.Linear(dense, mixtures)

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(batch, look_back, features) -> mixture log-weights (batch, K), means (batch, K,
        features) and log-sigmas (batch, K) of the next frame."""
        out, _ = self.lstm(frames)
        h = self.dense(out[:, -1])
        means = self.means(h).unflatten(-1, (self.mixtures, self.features))
        return torch.log_softmax(self.logits(h), -1), means, self.log_sigmas(h)

    @staticmethod
    def negative_log_likelihood(
        log_weights: torch.Tensor, means: torch.Tensor, log_sigmas: torch.Tensor,
        target: torch.Tensor, reading: Reading = "joint",
    ) -> torch.Tensor:  # fmt: skip
        """Per sample; ``joint`` is per frame (nats), ``per_dimension`` the reference's mean over
        coordinates of each coordinate's own mixture."""
        sigma = log_sigmas.exp()[..., None]
        log_normal = (-0.5 * ((target[:, None] - means) / sigma).pow(2) - log_sigmas[..., None]
                      - 0.5 * math.log(2 * math.pi))  # fmt: skip
        if reading == "joint":
            return -torch.logsumexp(log_weights + log_normal.sum(-1), dim=-1)
        return -torch.logsumexp(log_weights[..., None] + log_normal, dim=1).mean(-1)

    @staticmethod
    def sample(
        log_weights: torch.Tensor, means: torch.Tensor, log_sigmas: torch.Tensor,
        reading: Reading = "joint", generator: torch.Generator | None = None,
    ) -> torch.Tensor:  # fmt: skip
        """One next frame per sample: a draw from the joint mixture, or (``per_dimension``) the
        reference's mean of the most probable component."""
        rows = torch.arange(len(means), device=means.device)
        if reading == "per_dimension":
            return means[rows, log_weights.argmax(-1)]
        k = torch.multinomial(log_weights.exp(), 1, generator=generator).squeeze(-1)
        noise = torch.randn(means[rows, k].shape, generator=generator, device=means.device)
        return means[rows, k] + log_sigmas[rows, k, None].exp() * noise

    @torch.no_grad()
    def generate(
        self, prompt: torch.Tensor, steps: int, reading: Reading = "joint",
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:  # fmt: skip
        """Continues (batch, look_back, features) prompts by ``steps`` frames, autoregressively."""
        frames, look_back = prompt, prompt.shape[1]
        for _ in range(steps):
            frame = self.sample(*self(frames[:, -look_back:]), reading, generator)
            frames = torch.cat([frames, frame[:, None]], dim=1)
        return frames[:, look_back:]
