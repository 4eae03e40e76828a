"""MPP's training loss: MSE normalised per sample and field by the target's mean square."""

from __future__ import annotations

from torch import Tensor

EPS = 1e-7


def normalized_mse(pred: Tensor, target: Tensor, eps: float = EPS) -> Tensor:
    """mean over samples and fields of mean_xy (pred - y)² / (mean_xy y² + eps); (B, C, H, W) inputs.

    The normalisation keeps low-variance fields (and systems) from vanishing from the loss.
    """
    error = (pred - target).float().pow(2).mean(dim=(-2, -1))
    scale = target.float().pow(2).mean(dim=(-2, -1)) + eps
    return (error / scale).mean()
