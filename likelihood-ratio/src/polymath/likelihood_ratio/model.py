"""The paper's classifiers as one batched ensemble: standardized inputs -> MLP -> one raw output z."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor

from polymath.foundation.ensembles import EnsembleMLP
from polymath.foundation.models import SavableModel


class RatioMLP(SavableModel):
    """``members`` MLPs (ReLU, dropout) whose raw outputs z a loss's parametrization reads as ratios.

    Inputs are standardized by the buffers ``input_mean`` and ``input_std`` (the training set's, set
    by ``set_standardization``), so the model evaluates the ratio on raw inputs, as the reference's
    wrapper does. ``init="keras"`` is Glorot-uniform weights and zero biases as in the reference;
    member k is initialised from (seed, first_member + k), see ``EnsembleMLP``.
    """

    def __init__(
        self,
        members: int,
        input_dim: int,
        hidden: Sequence[int] = (64, 128, 64),
        dropout: float = 0.1,
        init: Literal["torch", "keras"] = "torch",
        seed: int = 0,
        first_member: int = 0,
    ) -> None:
        super().__init__()
        self.ensemble = EnsembleMLP(
            members,
            input_dim,
            hidden,
            out_features=1,
            activation="relu",
            dropout=dropout,
            init=init,
            seed=seed,
            first_member=first_member,
        )
        self.register_buffer("input_mean", torch.zeros(input_dim))
        self.register_buffer("input_std", torch.ones(input_dim))

    @property
    def members(self) -> int:
        return self.ensemble.members

    @torch.no_grad()
    def set_standardization(self, mean: Tensor, std: Tensor) -> None:
        self.input_mean.copy_(mean)
        self.input_std.copy_(std)

    def forward(self, x: Tensor) -> Tensor:
        """Raw outputs z, (members, batch), for raw inputs x, (batch, input_dim)."""
        return self.ensemble((x - self.input_mean) / self.input_std).squeeze(-1)
