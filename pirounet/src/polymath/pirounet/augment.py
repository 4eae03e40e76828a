"""Augmentation by the dance's exact symmetry: rotations about the vertical axis."""

from __future__ import annotations

import torch

from polymath.foundation.symmetry import apply_rotation, random_z_rotation_translation


def rotate_about_z(x: torch.Tensor) -> torch.Tensor:
    """Every window (batch, frames, 3 x markers) turned about the vertical axis by its own
    uniformly random angle (the symmetry toolkit's SO(2) sampler)."""
    rotation, _ = random_z_rotation_translation(len(x), 0.0, dtype=x.dtype)
    return apply_rotation(rotation.to(x.device), x.reshape(len(x), -1, 3)).reshape(x.shape)
