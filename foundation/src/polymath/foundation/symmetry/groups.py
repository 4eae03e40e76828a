"""Samplers of group elements, as batched matrices or index tensors.

Every sampler takes a ``torch.Generator`` so that a test or a figure is reproducible, and a dtype:
equivariance is tested in float64, where rounding does not hide a broken layer.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

MAX_TESTED_RAPIDITY = 4.0
"""The largest rapidity at which the layers are tested equivariant (float64, relative error < 1e-9).

Boosts multiply components by up to e^η; beyond η ≈ 4, float32 inputs lose the invariants'
leading digits (LorentzNet and PELICAN's documented pitfall), so larger bounds are refused.
"""


def random_permutation(batch: int, n: int, generator: torch.Generator | None = None) -> Tensor:
    """(batch, n) indices, each row a uniformly random permutation of range(n)."""
    return torch.argsort(torch.rand(batch, n, generator=generator), dim=-1)


def haar_orthogonal(
    batch: int,
    n: int,
    special: bool = False,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """(batch, n, n) Haar-random matrices of O(n), or SO(n) with ``special=True``.

    QR of a Gaussian matrix, with the signs of R's diagonal moved into Q (Mezzadri 2007): without
    that correction Q is not Haar-distributed.
    """
    gaussian = torch.randn(batch, n, n, generator=generator, dtype=dtype)
    q, r = torch.linalg.qr(gaussian)
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)
    if special:
        flip = torch.linalg.det(q) < 0
        q[flip, :, 0] = -q[flip, :, 0]
    return q


def random_z_rotation_translation(
    batch: int,
    max_translation: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> tuple[Tensor, Tensor]:
    """SO(2) about the vertical axis with a translation in the horizontal plane (the dance setting).

    Returns rotations (batch, 3, 3) with uniform angles and translations (batch, 3) with t_z = 0.
    """
    angle = 2 * math.pi * torch.rand(batch, generator=generator, dtype=dtype)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rotation = torch.zeros(batch, 3, 3, dtype=dtype)
    rotation[:, 0, 0], rotation[:, 0, 1] = cos, -sin
    rotation[:, 1, 0], rotation[:, 1, 1] = sin, cos
    rotation[:, 2, 2] = 1
    translation = torch.zeros(batch, 3, dtype=dtype)
    translation[:, :2] = max_translation * (
        2 * torch.rand(batch, 2, generator=generator, dtype=dtype) - 1
    )
    return rotation, translation


def boost(rapidity: Tensor, direction: Tensor) -> Tensor:
    """Pure boosts (..., 4, 4) of the given rapidity along unit 3-vectors ``direction`` (..., 3).

    Acts on (E, px, py, pz) column vectors with the metric diag(+1, -1, -1, -1).
    """
    direction = direction / direction.norm(dim=-1, keepdim=True)
    cosh, sinh = torch.cosh(rapidity)[..., None], torch.sinh(rapidity)[..., None]
    shape = (*rapidity.shape, 4, 4)
    matrix = torch.zeros(shape, dtype=direction.dtype)
    matrix[..., 0, 0] = cosh[..., 0]
    matrix[..., 0, 1:] = sinh * direction
    matrix[..., 1:, 0] = sinh * direction
    outer = direction[..., :, None] * direction[..., None, :]
    eye = torch.eye(3, dtype=direction.dtype)
    matrix[..., 1:, 1:] = eye + (cosh[..., None] - 1) * outer
    return matrix


def random_lorentz(
    batch: int,
    max_rapidity: float,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """(batch, 4, 4) proper orthochronous Lorentz transformations: a boost after a rotation.

    The rotation is Haar-random in SO(3); the boost has rapidity η ~ U(0, max_rapidity) along a
    uniformly random direction.
    """
    if not 0 <= max_rapidity <= MAX_TESTED_RAPIDITY:
        raise ValueError(
            f"max_rapidity must be in [0, {MAX_TESTED_RAPIDITY}] (the tested range), got {max_rapidity}"
        )
    rotation = torch.zeros(batch, 4, 4, dtype=dtype)
    rotation[:, 0, 0] = 1
    rotation[:, 1:, 1:] = haar_orthogonal(batch, 3, special=True, generator=generator, dtype=dtype)
    rapidity = max_rapidity * torch.rand(batch, generator=generator, dtype=dtype)
    direction = torch.randn(batch, 3, generator=generator, dtype=dtype)
    return boost(rapidity, direction) @ rotation


def rapidity_of(transform: Tensor) -> Tensor:
    """The rapidity of the boost part of Lorentz transformations (..., 4, 4): arccosh(Λ⁰₀)."""
    return torch.arccosh(transform[..., 0, 0].clamp(min=1.0))


def rotation_angle(rotation: Tensor) -> Tensor:
    """The rotation angle of SO(3) matrices (..., 3, 3), from their trace."""
    trace = torch.diagonal(rotation, dim1=-2, dim2=-1).sum(-1)
    return torch.arccos(((trace - 1) / 2).clamp(-1.0, 1.0))
