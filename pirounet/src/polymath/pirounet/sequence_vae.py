"""Beyond Imitation's sequence VAE: an LSTM VAE over 128-frame phrases, with sigma-controlled
variations of a phrase and the "continuizer" that chains generated phrases smoothly."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from polymath.foundation import SavableModel


class SequenceVAE(SavableModel):
    """Encoder: ``layers`` LSTMs over the sequence, one more whose final state gives the latent
    mean and log-variance. Decoder: z -> Dense(hidden, ReLU), repeated over the phrase ->
    ``layers`` LSTMs -> an LSTM of width ``features`` whose hidden state is the pose."""

    def __init__(
        self, seq_len: int = 128, features: int = 159, hidden: int = 384, layers: int = 2,
        latent: int = 256,
    ) -> None:  # fmt: skip
        super().__init__()
        self.seq_len, self.latent = seq_len, latent
        self.encoder = nn.LSTM(features, hidden, layers + 1, batch_first=True)
        self.mean = nn.Linear(hidden, latent)
        self.log_var = nn.Linear(hidden, latent)
        self.expand = nn.Linear(latent, hidden)
        self.decoder = nn.LSTM(hidden, hidden, layers, batch_first=True)
        self.output = nn.LSTM(hidden, features, 1, batch_first=True)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, (state, _) = self.encoder(x)
        return self.mean(state[-1]), self.log_var(state[-1])

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.expand(z))[:, None].expand(-1, self.seq_len, -1).contiguous()
        poses, _ = self.output(self.decoder(h)[0])
        return poses

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mean, log_var = self.encode(x)
        z = mean + torch.randn_like(mean) * (0.5 * log_var).exp() if self.training else mean
        return self.decode(z), mean, log_var

    @torch.no_grad()
    def generate(
        self, n: int, sigma: float = 2.0, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Phrases from z ~ N(0, sigma^2 I) (the reference draws with sigma = 2)."""
        return self.decode(sigma * torch.randn(n, self.latent, generator=generator))

    @torch.no_grad()
    def variations(
        self, phrase: torch.Tensor, n: int, sigma: float = 0.5,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:  # fmt: skip
        """``n`` variations of one phrase (seq_len, features): its latent mean plus N(0, sigma^2)
        noise; sigma about 0.5 stays close, sigma >= 1 is "more inventive"."""
        mean, _ = self.encode(phrase[None])
        return self.decode(mean + sigma * torch.randn(n, self.latent, generator=generator))


def continuize(
    model: SequenceVAE, z: torch.Tensor, steps: int = 100, lr: float = 0.05,
    penalty: float = 1.0e-3,
) -> tuple[torch.Tensor, float, float]:  # fmt: skip
    """Chains the phrases of latents ``z`` (n, latent) into one movement.

    A bias per latent is optimised (Adam) so that the second half of each decoded phrase matches the
    first half of the next one; the chain keeps each phrase's first half and the last phrase whole.
    Returns the chained poses (frames, features) and the mean squared mismatch at the seams before
    and after.
    """
    half = model.seq_len // 2
    bias = torch.zeros_like(z, requires_grad=True)
    optimiser = torch.optim.Adam([bias], lr=lr)

    def mismatch() -> torch.Tensor:
        phrases = model.decode(z + bias)
        return (phrases[:-1, half:] - phrases[1:, :half]).pow(2).mean()

    frozen = [p.requires_grad_(False) for p in model.parameters()]
    before = float(mismatch())
    for _ in range(steps):
        loss = mismatch() + penalty * bias.pow(2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    for p in frozen:
        p.requires_grad_(True)
    with torch.no_grad():
        after = float(mismatch())
        phrases = model.decode(z + bias)
        chain = torch.cat([*phrases[:-1, :half], phrases[-1]], dim=0)
    return chain, before, after
