"""How group elements act on data: the representations ρ(g) the equivariance metric needs.

Point sets and particle lists are (batch, n, d): particles along dim 1, components along dim -1.
"""

from __future__ import annotations

import torch
from torch import Tensor


def apply_permutation(permutation: Tensor, x: Tensor) -> Tensor:
    """Reorders the particles of (batch, n, ...) by (batch, n) index rows."""
    index = permutation.reshape(*permutation.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return torch.gather(x, 1, index)


def apply_rotation(rotation: Tensor, x: Tensor) -> Tensor:
    """x_i -> R x_i for points (batch, n, d) and matrices (batch, d, d)."""
    return x @ rotation.transpose(-1, -2)


def apply_rotation_translation(rotation: Tensor, translation: Tensor, x: Tensor) -> Tensor:
    """x_i -> R x_i + t for points (batch, n, 3)."""
    return apply_rotation(rotation, x) + translation[:, None, :]


def apply_lorentz(transform: Tensor, p: Tensor) -> Tensor:
    """p_i -> Λ p_i for 4-vectors (batch, n, 4) ordered (E, px, py, pz)."""
    if p.shape[-1] != 4:
        raise ValueError(
            f"4-vectors must have 4 components (E, px, py, pz), got shape {tuple(p.shape)}"
        )
    return p @ transform.transpose(-1, -2)
