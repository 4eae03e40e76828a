"""Jet taggers for the symmetry recipes: two Lorentz-equivariant models and two that are not.

Every tagger maps constituents (batch, n, 4) as (E, px, py, pz) in GeV, zero-padded, to one logit
per jet. A constituent is real when any component is non-zero. The Lorentz-invariant taggers take
their Minkowski products in GeV² through ψ, whose logarithm is there to tame invariants that span
decades; dividing the momenta first (by 100 GeV, say) squeezes the products of nearly collinear
constituents to ~1e-4, where ψ is linear, and both taggers then stalled at a constant logit (accuracy
0.50, measured). The two taggers without Lorentz symmetry see momenta divided by ``SCALE``.
"""

from __future__ import annotations

import itertools
from typing import Literal

import torch
from torch import Tensor, nn

from polymath.foundation.models import SavableModel
from polymath.foundation.symmetry.layers import (
    DeepSetsInvariant,
    Eq2to2,
    LorentzNetBlock,
    masked_pool,
)
from polymath.foundation.symmetry.lorentz import minkowski_dot, pairwise_dots, psi

SCALE = 100.0
"""GeV per unit of the inputs of the taggers that read raw momenta (Deep Sets, MLP)."""

Architecture = Literal["lorentznet", "pelican", "deepsets", "mlp"]


def constituent_mask(p: Tensor) -> Tensor:
    return p.abs().sum(-1) > 0


def _head(hidden: int, dropout: float, inputs: int | None = None) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(inputs or hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1)
    )


class LorentzNetTagger(SavableModel):
    """LorentzNet-style: blocks on Minkowski products, mean pooling; Lorentz-invariant output."""

    def __init__(
        self, hidden: int = 72, layers: int = 6, dropout: float = 0.2, c: float = 0.005
    ) -> None:
        super().__init__()
        self.embed = nn.Linear(1, hidden)
        self.blocks = nn.ModuleList(
            LorentzNetBlock(hidden, hidden, c, dropout) for _ in range(layers)
        )
        self.head = _head(hidden, dropout)

    def forward(self, p: Tensor) -> Tensor:
        mask = constituent_mask(p)
        x = p
        h = self.embed(psi(minkowski_dot(x, x))[..., None]) * mask[..., None]
        for block in self.blocks:
            h, x = block(h, x, mask)
        return self.head(masked_pool(h, mask, "mean")).squeeze(-1)


class PelicanTagger(SavableModel):
    """PELICAN-style: permutation-equivariant 2→2 layers on ψ of the pairwise Minkowski products."""

    def __init__(self, hidden: int = 32, layers: int = 3, dropout: float = 0.0) -> None:
        super().__init__()
        widths = [1, *([hidden] * layers)]
        self.layers = nn.ModuleList(Eq2to2(a, b) for a, b in itertools.pairwise(widths))
        self.head = _head(hidden, dropout, inputs=2 * hidden)

    def forward(self, p: Tensor) -> Tensor:
        mask = constituent_mask(p)
        pairs = psi(pairwise_dots(p))[..., None]
        for layer in self.layers:
            pairs = torch.relu(layer(pairs, mask))
        node = mask.to(pairs.dtype)
        count = node.sum(1).clamp(min=1)[:, None]
        pair_mean = pairs.sum((1, 2)) / count**2
        diagonal_mean = pairs.diagonal(dim1=1, dim2=2).sum(-1) / count
        return self.head(torch.cat([pair_mean, diagonal_mean], -1)).squeeze(-1)


class DeepSetsTagger(SavableModel):
    """Deep Sets on raw 4-momenta: permutation-invariant, not Lorentz-invariant."""

    def __init__(self, hidden: int = 64, layers: int = 3, dropout: float = 0.0) -> None:
        super().__init__()
        phi: list[nn.Module] = [nn.Linear(4, hidden), nn.ReLU()]
        for _ in range(layers - 1):
            phi += [nn.Linear(hidden, hidden), nn.ReLU()]
        self.sets = DeepSetsInvariant(nn.Sequential(*phi), _head(hidden, dropout), pool="sum")

    def forward(self, p: Tensor) -> Tensor:
        return self.sets(p / SCALE, constituent_mask(p)).squeeze(-1)


class MLPTagger(SavableModel):
    """A plain MLP on the flattened, pT-ordered constituents: no symmetry at all."""

    def __init__(
        self, max_constituents: int = 30, hidden: int = 64, layers: int = 3, dropout: float = 0.0
    ) -> None:
        super().__init__()
        body: list[nn.Module] = [nn.Linear(4 * max_constituents, hidden), nn.ReLU()]
        for _ in range(layers - 1):
            body += [nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout)]
        self.net = nn.Sequential(*body, nn.Linear(hidden, 1))
        self.max_constituents = max_constituents

    def forward(self, p: Tensor) -> Tensor:
        p = p[:, : self.max_constituents]
        if p.shape[1] < self.max_constituents:
            p = nn.functional.pad(p, (0, 0, 0, self.max_constituents - p.shape[1]))
        return self.net(p.flatten(1) / SCALE).squeeze(-1)


def build_tagger(
    architecture: Architecture, hidden: int, layers: int, dropout: float, max_constituents: int
) -> SavableModel:
    if architecture == "lorentznet":
        return LorentzNetTagger(hidden=hidden, layers=layers, dropout=dropout)
    if architecture == "pelican":
        return PelicanTagger(hidden=hidden, layers=layers, dropout=dropout)
    if architecture == "deepsets":
        return DeepSetsTagger(hidden=hidden, layers=layers, dropout=dropout)
    if architecture == "mlp":
        return MLPTagger(
            max_constituents=max_constituents, hidden=hidden, layers=layers, dropout=dropout
        )
    raise ValueError(
        f"unknown architecture {architecture!r}; known: lorentznet, pelican, deepsets, mlp"
    )
