"""The CWoLa classifier of one patch: every model of the nested k-fold as one batched MLP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor

from polymath.foundation.ensembles import EnsembleMLP
from polymath.foundation.models import SavableModel


class CWoLaClassifier(SavableModel):
    """``members`` MLPs (3 × 256, ReLU, dropout 0.2 in the paper), each with its own standardisation.

    Each member's inputs are standardised with the mean and standard deviation of its own training
    folds (a ``StandardScaler`` per model, as in the paper), held as buffers of shape (members, in).
    ``forward`` returns logits (members, batch); ``probabilities`` applies the sigmoid.
    """

    def __init__(
        self,
        members: int = 60,
        in_features: int = 5,
        hidden: Sequence[int] = (256, 256, 256),
        dropout: float = 0.2,
        init: Literal["keras", "torch"] = "keras",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.net = EnsembleMLP(members, in_features, tuple(hidden), 1, "relu", dropout, init, seed)
        self.members = members
        self.register_buffer("input_mean", torch.zeros(members, 1, in_features))
        self.register_buffer("input_std", torch.ones(members, 1, in_features))

    def set_standardization(self, mean: Tensor, std: Tensor) -> None:
        """Per-member (members, in) statistics of the training stars."""
        self.input_mean.copy_(mean.reshape(self.input_mean.shape))
        self.input_std.copy_(std.clamp_min(1e-12).reshape(self.input_std.shape))

    def forward(self, x: Tensor) -> Tensor:
        """Logits (members, batch) for raw inputs (batch, in) or (members, batch, in)."""
        return self.net((x - self.input_mean) / self.input_std).squeeze(-1)

    @torch.no_grad()
    def probabilities(self, x: Tensor, chunk: int = 65_536) -> Tensor:
        """Sigmoid outputs (members, n) in eval mode, computed in chunks of stars."""
        was_training = self.training
        self.eval()
        out = torch.cat([torch.sigmoid(self(part)) for part in x.split(chunk)], dim=1)
        self.train(was_training)
        return out
