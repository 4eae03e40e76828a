"""Minkowski geometry of 4-vectors (E, px, py, pz) with the metric diag(+1, -1, -1, -1)."""

from __future__ import annotations

import torch
from torch import Tensor

METRIC = (1.0, -1.0, -1.0, -1.0)


def _check(p: Tensor) -> None:
    if p.shape[-1] != 4:
        raise ValueError(
            f"4-vectors must have 4 components (E, px, py, pz), got shape {tuple(p.shape)}"
        )


def minkowski_dot(p: Tensor, q: Tensor) -> Tensor:
    """⟨p, q⟩ = p⁰q⁰ − p·q over the last axis."""
    _check(p)
    _check(q)
    return p[..., 0] * q[..., 0] - (p[..., 1:] * q[..., 1:]).sum(-1)


def pairwise_dots(p: Tensor) -> Tensor:
    """(batch, n, 4) -> (batch, n, n) matrix of ⟨p_i, p_j⟩: PELICAN's input."""
    _check(p)
    metric = torch.tensor(METRIC, dtype=p.dtype, device=p.device)
    return (p * metric) @ p.transpose(-1, -2)


def invariant_mass(p: Tensor, mask: Tensor | None = None) -> Tensor:
    """The invariant mass √⟨P, P⟩ of the summed 4-vector of each set (batch, n, 4) -> (batch,)."""
    _check(p)
    if mask is not None:
        p = p * mask[..., None]
    total = p.sum(dim=-2)
    return minkowski_dot(total, total).clamp(min=0).sqrt()


def psi(x: Tensor) -> Tensor:
    """LorentzNet's normalisation ψ(x) = sign(x) log(|x| + 1): tames invariants that span decades."""
    return torch.sign(x) * torch.log1p(x.abs())
