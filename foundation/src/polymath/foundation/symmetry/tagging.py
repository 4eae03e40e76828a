"""Figures of merit of a tagger: accuracy, AUC, background rejection, equivariance, robustness."""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics.functional.classification import binary_auroc, binary_roc

from polymath.foundation.symmetry.actions import apply_lorentz
from polymath.foundation.symmetry.groups import boost, haar_orthogonal, random_lorentz


def background_rejection(scores: Tensor, labels: Tensor, signal_efficiency: float) -> float:
    """1/ε_B at the working point where the signal efficiency first reaches ``signal_efficiency``."""
    fpr, tpr, _ = binary_roc(scores, labels.long())
    reached = torch.nonzero(tpr >= signal_efficiency)
    rate = float(fpr[reached[0, 0]]) if len(reached) else 1.0
    return 1.0 / rate if rate > 0 else float("inf")


def tagging_metrics(scores: Tensor, labels: Tensor) -> dict[str, float]:
    """Accuracy at 0.5, AUC and 1/ε_B at ε_S = 0.3 and 0.5 from sigmoid scores."""
    labels = labels.long()
    return {
        "acc": float(((scores > 0.5).long() == labels).float().mean()),
        "auc": float(binary_auroc(scores, labels)),
        "rejection_30": background_rejection(scores, labels, 0.3),
        "rejection_50": background_rejection(scores, labels, 0.5),
    }


def boost_along_jet(p: Tensor, rapidity: float) -> Tensor:
    """Boosts each jet's constituents along its own momentum axis by ``rapidity``."""
    axis = p[..., 1:].sum(1).to(torch.float64)
    matrix = boost(torch.full((len(p),), rapidity, dtype=torch.float64), axis)
    return apply_lorentz(matrix, p.to(torch.float64)).to(p.dtype)


@torch.no_grad()
def invariance_errors(
    model: torch.nn.Module, p: Tensor, max_rapidity: float, seed: int = 0
) -> dict[str, float]:
    """Mean relative change of the logit under random Lorentz boosts and under rotations."""
    generator = torch.Generator().manual_seed(seed)
    batch = len(p)
    logits = model(p)
    lorentz = random_lorentz(batch, max_rapidity, generator=generator).to(p.dtype)
    rotation = torch.zeros(batch, 4, 4, dtype=p.dtype)
    rotation[:, 0, 0] = 1
    rotation[:, 1:, 1:] = haar_orthogonal(batch, 3, special=True, generator=generator).to(p.dtype)
    scale = logits.abs() + 1e-6
    return {
        "equivariance_boost": float(
            ((model(apply_lorentz(lorentz, p)) - logits).abs() / scale).mean()
        ),
        "equivariance_rotation": float(
            ((model(apply_lorentz(rotation, p)) - logits).abs() / scale).mean()
        ),
    }
