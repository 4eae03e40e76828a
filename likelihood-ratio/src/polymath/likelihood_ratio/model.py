"""An ensemble of MLPs evaluated as one batched network (weights of shape (members, in, out))."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

INITS = ("torch", "keras")


def member_generator(seed: int, member: int) -> torch.Generator:
    """A generator that depends only on (seed, member), so member k is the same in any ensemble."""
    return torch.Generator().manual_seed(seed * 1_000_003 + member)


class EnsembleLinear(nn.Module):
    """`members` independent affine maps applied with one batched matmul: (M, B, in) -> (M, B, out)."""

    def __init__(self, members: int, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(members, 1, out_features))

    def forward(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias, x, self.weight)

    @torch.no_grad()
    def init_member(self, k: int, init: str, generator: torch.Generator) -> None:
        fan_in, fan_out = self.weight.shape[1:]
        if init == "keras":
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            weight = torch.empty(fan_in, fan_out).uniform_(-bound, bound, generator=generator)
            bias = torch.zeros(fan_out)
        else:
            bound = 1.0 / math.sqrt(fan_in)
            weight = torch.empty(fan_in, fan_out).uniform_(-bound, bound, generator=generator)
            bias = torch.empty(fan_out).uniform_(-bound, bound, generator=generator)
        self.weight[k] = weight
        self.bias[k, 0] = bias


class EnsembleMLP(nn.Module):
    """`members` MLPs in -> hidden... -> 1 with ReLU and dropout; inputs standardized by buffers.

    init="torch" is PyTorch's nn.Linear default, init="keras" is Glorot-uniform weights and zero
    biases as in the reference. Member k is initialised from member_generator(seed, first_member + k).
    """

    def __init__(
        self,
        members: int,
        input_dim: int,
        hidden: Sequence[int] = (64, 128, 64),
        dropout: float = 0.1,
        init: str = "torch",
        seed: int = 0,
        first_member: int = 0,
    ) -> None:
        super().__init__()
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; known: {', '.join(INITS)}")
        if members < 1 or input_dim < 1:
            raise ValueError(f"members and input_dim must be >= 1 (got {members}, {input_dim})")
        widths = [input_dim, *hidden, 1]
        self.layers = nn.ModuleList(
            EnsembleLinear(members, a, b) for a, b in itertools.pairwise(widths)
        )
        self.dropout = dropout
        self.members = members
        self.register_buffer("input_mean", torch.zeros(input_dim))
        self.register_buffer("input_std", torch.ones(input_dim))
        for k in range(members):
            generator = member_generator(seed, first_member + k)
            for layer in self.layers:
                layer.init_member(k, init, generator)

    def set_standardization(self, mean: Tensor, std: Tensor) -> None:
        self.input_mean.copy_(mean)
        self.input_std.copy_(std)

    def forward(self, x: Tensor) -> Tensor:
        """Raw outputs z of shape (members, batch) for inputs x of shape (batch, input_dim)."""
        h = ((x - self.input_mean) / self.input_std).expand(self.members, *x.shape)
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = nn.functional.dropout(torch.relu(h), self.dropout, self.training)
        return h.squeeze(-1)
