"""PirouNet in plain torch: Kingma et al.'s M2 semi-supervised VAE with LSTM encoder and decoder.

Shapes: windows x are (batch, seq_len, features) with features = 3 x 53 markers; labels y are
integer Time efforts in [0, n_labels).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from polymath.foundation import SavableModel


def _init_linear(module: nn.Module) -> None:
    """The reference's initialisation: Xavier-normal weights and zero bias on every Linear layer."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)


class EffortClassifier(SavableModel):
    """q(y|x): an MLP on the flattened window. Returns logits (the reference returns a softmax)."""

    def __init__(
        self, seq_len: int = 40, features: int = 159, hidden: int = 100, hidden_layers: int = 2,
        n_labels: int = 3,
    ) -> None:  # fmt: skip
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten(), nn.Linear(seq_len * features, hidden), nn.ReLU()]
        for _ in range(hidden_layers):
            layers += [nn.Linear(hidden, hidden), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(hidden, n_labels)
        _init_linear(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate activation (what feature-space metrics such as FID use)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class PirouNet(SavableModel):
    """Encoder q(z|x,y), decoder p(x|y,z) and classifier q(y|x) of PirouNet.

    Encoder: the one-hot label joins every frame, a ``encoder_layers`` x ``hidden`` LSTM reads the
    window, and its last layer's final state gives the latent mean and log-variance. Decoder:
    [z; y] -> Linear -> ReLU, repeated over the window, -> ``decoder_layers`` x ``hidden`` LSTM ->
    a one-layer LSTM of width ``features`` whose hidden state is the pose, so outputs lie in (-1, 1).
    """

    def __init__(
        self, seq_len: int = 40, features: int = 159, n_labels: int = 3, hidden: int = 100,
        encoder_layers: int = 5, decoder_layers: int = 4, latent: int = 256,
        classifier_hidden: int = 100, classifier_layers: int = 2,
    ) -> None:  # fmt: skip
        super().__init__()
        self.seq_len, self.features, self.n_labels, self.latent = (
            seq_len,
            features,
            n_labels,
            latent,
        )
        self.encoder = nn.LSTM(features + n_labels, hidden, encoder_layers, batch_first=True)
        self.mean = nn.Linear(hidden, latent)
        self.log_var = nn.Linear(hidden, latent)
        self.expand = nn.Linear(latent + n_labels, hidden)
        self.decoder = nn.LSTM(hidden, hidden, decoder_layers, batch_first=True)
        self.output = nn.LSTM(hidden, features, 1, batch_first=True)
        self.classifier = EffortClassifier(
            seq_len, features, classifier_hidden, classifier_layers, n_labels
        )
        _init_linear(self)

    def one_hot(self, y: torch.Tensor) -> torch.Tensor:
        return F.one_hot(y, self.n_labels).float()

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        label = self.one_hot(y)[:, None, :].expand(-1, x.shape[1], -1)
        _, (state, _) = self.encoder(torch.cat([x, label], dim=-1))
        return self.mean(state[-1]), self.log_var(state[-1])

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.expand(torch.cat([z, self.one_hot(y)], dim=-1)))
        h, _ = self.decoder(h[:, None, :].expand(-1, self.seq_len, -1).contiguous())
        poses, _ = self.output(h)
        return poses

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of q(y|x)."""
        return self.classifier(x)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruction, latent mean and log-variance; z is sampled in training, the mean else."""
        mean, log_var = self.encode(x, y)
        z = mean + torch.randn_like(mean) * (0.5 * log_var).exp() if self.training else mean
        return self.decode(z, y), mean, log_var

    @torch.no_grad()
    def generate(self, y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Random generation: z ~ N(0, I) decoded with each label in ``y``."""
        z = torch.randn(len(y), self.latent, generator=generator, device=y.device)
        return self.decode(z, y)
