"""Equivariant layers in plain torch: Deep Sets, EGNN, LorentzNet's block and PELICAN's 2→2 layer.

Particle sets are (batch, n, features) with an optional ``mask`` (batch, n) of real particles
(padding is zero and never contributes). Each layer is tested equivariant in float64 to about
1e-10 and in float32 to a stated tolerance (``tests/test_symmetry_layers.py``).
"""

from __future__ import annotations

import itertools
from typing import Literal

import torch
from torch import Tensor, nn

from polymath.foundation.symmetry.lorentz import pairwise_dots, psi

Pool = Literal["sum", "mean"]


def _mask(x: Tensor, mask: Tensor | None) -> Tensor:
    """(batch, n, 1) float mask of real particles."""
    if mask is None:
        return torch.ones(*x.shape[:2], 1, dtype=x.dtype, device=x.device)
    return mask.to(x.dtype)[..., None]


def _pair_mask(node_mask: Tensor, self_edges: bool = False) -> Tensor:
    """(batch, n, n, 1) mask of pairs of real particles, without i == j unless asked."""
    pairs = node_mask[:, :, None, :] * node_mask[:, None, :, :]
    if not self_edges:
        n = node_mask.shape[1]
        pairs = pairs * (1 - torch.eye(n, dtype=pairs.dtype, device=pairs.device))[None, :, :, None]
    return pairs


def masked_pool(x: Tensor, mask: Tensor | None, pool: Pool = "sum") -> Tensor:
    """Sum or mean over the particles of (batch, n, f) -> (batch, f)."""
    m = _mask(x, mask)
    total = (x * m).sum(1)
    if pool == "sum":
        return total
    if pool == "mean":
        return total / m.sum(1).clamp(min=1)
    raise ValueError(f"unknown pool {pool!r}; known: sum, mean")


class DeepSetsEquivariant(nn.Module):
    """Zaheer et al.'s permutation-equivariant layer: y_i = Λ x_i + Γ pool_j(x_j)."""

    def __init__(self, in_features: int, out_features: int, pool: Pool = "mean") -> None:
        super().__init__()
        self.own = nn.Linear(in_features, out_features)
        self.pooled = nn.Linear(in_features, out_features, bias=False)
        self.pool = pool

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        y = self.own(x) + self.pooled(masked_pool(x, mask, self.pool))[:, None, :]
        return y * _mask(x, mask)


class DeepSetsInvariant(nn.Module):
    """ρ(pool_i φ(x_i)): a permutation-invariant function of a set."""

    def __init__(self, phi: nn.Module, rho: nn.Module, pool: Pool = "sum") -> None:
        super().__init__()
        self.phi, self.rho, self.pool = phi, rho, pool

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        return self.rho(masked_pool(self.phi(x), mask, self.pool))


def _mlp(*widths: int, final_activation: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2 or final_activation:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class EGNNLayer(nn.Module):
    """E(n)-equivariant graph layer (Satorras et al. 2021) on a fully connected set.

    m_ij = φ_e(h_i, h_j, ‖x_i − x_j‖²);  x_i += mean_j (x_i − x_j) φ_x(m_ij);  h_i += φ_h(h_i, Σ_j m_ij).
    Invariant features h, equivariant coordinates x under rotations, reflections and translations.
    """

    def __init__(self, features: int, hidden: int = 64) -> None:
        super().__init__()
        self.edge = _mlp(2 * features + 1, hidden, hidden, final_activation=True)
        self.coordinate = _mlp(hidden, hidden, 1)
        self.node = _mlp(features + hidden, hidden, features)

    def forward(self, h: Tensor, x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        node_mask = _mask(h, mask)
        pairs = _pair_mask(node_mask)
        n = h.shape[1]
        difference = x[:, :, None, :] - x[:, None, :, :]
        distance2 = (difference**2).sum(-1, keepdim=True)
        h_i = h[:, :, None, :].expand(-1, -1, n, -1)
        h_j = h[:, None, :, :].expand(-1, n, -1, -1)
        messages = self.edge(torch.cat([h_i, h_j, distance2], -1)) * pairs
        neighbours = pairs.sum(2).clamp(min=1)
        x = x + (difference * self.coordinate(messages) * pairs).sum(2) / neighbours
        h = h + self.node(torch.cat([h, messages.sum(2)], -1))
        return h * node_mask, x * node_mask


class LorentzNetBlock(nn.Module):
    """LorentzNet's Lorentz group equivariant block (Gong et al. 2022) on 4-vectors (E, px, py, pz).

    m_ij = φ_e(h_i, h_j, ψ(‖x_i − x_j‖²), ψ(⟨x_i, x_j⟩)) gated by φ_m(m_ij);
    x_i += c · mean_j φ_x(m_ij) x_j;  h_i += φ_h(h_i, Σ_j m_ij), with ψ(x) = sign(x) log(|x| + 1).
    Minkowski products are invariant, so h is Lorentz-invariant and x Lorentz-equivariant.
    """

    def __init__(
        self, features: int, hidden: int = 72, c: float = 0.005, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.edge = nn.Sequential(
            nn.Linear(2 * features + 2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.gate = nn.Sequential(nn.Linear(hidden, 1), nn.Sigmoid())
        self.coordinate = nn.Sequential(
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1, bias=False)
        )
        self.node = nn.Sequential(
            nn.Linear(features + hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, features),
        )
        self.c = c

    def forward(self, h: Tensor, x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        node_mask = _mask(h, mask)
        pairs = _pair_mask(node_mask)
        n = h.shape[1]
        dots = pairwise_dots(x)
        norms = dots.diagonal(dim1=-2, dim2=-1)
        separation = norms[:, :, None] + norms[:, None, :] - 2 * dots  # ⟨x_i − x_j, x_i − x_j⟩
        invariants = torch.stack([psi(separation), psi(dots)], -1)
        h_i = h[:, :, None, :].expand(-1, -1, n, -1)
        h_j = h[:, None, :, :].expand(-1, n, -1, -1)
        messages = self.edge(torch.cat([h_i, h_j, invariants], -1))
        messages = messages * self.gate(messages) * pairs
        neighbours = pairs.sum(2).clamp(min=1)
        x = x + self.c * (self.coordinate(messages) * x[:, None, :, :] * pairs).sum(2) / neighbours
        h = h + self.node(torch.cat([h, messages.sum(2)], -1))
        return h * node_mask, x * node_mask


class Eq2to2(nn.Module):
    """The permutation-equivariant linear map of pair features (batch, n, n, c) used by PELICAN.

    A linear combination of the 15 basis operations of Maron et al. (2019) for 2→2 tensors: identity,
    transpose, diagonal, row/column means broadcast along rows, columns or the diagonal, the diagonal
    broadcast along rows or columns, and the total and trace means broadcast everywhere or on the
    diagonal. Means (not sums) over real particles keep the scale independent of the set size.
    """

    BASIS = 15

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.linear = nn.Linear(self.BASIS * in_channels, out_channels)
        self.diagonal_bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, pairs: Tensor, mask: Tensor | None = None) -> Tensor:
        batch, n, _, channels = pairs.shape
        node_mask = _mask(pairs[:, :, 0, :], mask)  # (batch, n, 1)
        pair_mask = _pair_mask(node_mask, self_edges=True)
        pairs = pairs * pair_mask
        count = node_mask.sum(1, keepdim=True).clamp(min=1)  # (batch, 1, 1)
        eye = torch.eye(n, dtype=pairs.dtype, device=pairs.device)[None, :, :, None]
        diagonal = pairs.diagonal(dim1=1, dim2=2).transpose(1, 2)  # (batch, n, c)
        rows = pairs.sum(2) / count  # mean over j: (batch, n, c)
        columns = pairs.sum(1) / count
        total = pairs.sum((1, 2)) / count[:, 0] ** 2  # (batch, c)
        trace = diagonal.sum(1) / count[:, 0]

        def on_diagonal(v: Tensor) -> Tensor:
            return eye * v[:, :, None, :]

        def along_rows(v: Tensor) -> Tensor:  # out[i, j] = v[i]
            return v[:, :, None, :].expand(batch, n, n, channels)

        def along_columns(v: Tensor) -> Tensor:  # out[i, j] = v[j]
            return v[:, None, :, :].expand(batch, n, n, channels)

        everywhere = torch.ones_like(pairs)
        basis = [
            pairs,
            pairs.transpose(1, 2),
            on_diagonal(diagonal),
            along_rows(rows),
            along_columns(rows),
            along_rows(columns),
            along_columns(columns),
            everywhere * total[:, None, None, :],
            eye * total[:, None, None, :],
            everywhere * trace[:, None, None, :],
            eye * trace[:, None, None, :],
            along_rows(diagonal),
            along_columns(diagonal),
            on_diagonal(rows),
            on_diagonal(columns),
        ]
        out = self.linear(torch.cat(basis, -1)) + eye * self.diagonal_bias
        return out * pair_mask
