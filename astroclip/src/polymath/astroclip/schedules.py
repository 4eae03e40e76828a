"""The learning-rate schedule every stage uses: linear warmup, then cosine to zero (the
reference's ``eta_min`` is computed with floor division, so it is 0 too)."""

from __future__ import annotations

import math

import torch


def warmup_cosine(
    optimizer: torch.optim.Optimizer, warmup: int, total: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step ``LambdaLR``: ``(step + 1) / warmup`` during warmup, then half a cosine."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
