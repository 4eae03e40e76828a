"""Per-member averages (DDP-safe) and the MAE of estimated against exact likelihood ratios."""

from __future__ import annotations

import torch
import torchmetrics
from torch import Tensor


class PerMemberMean(torchmetrics.Metric):
    """Running mean over the batch axis of values shaped (members, batch); computes (members,)."""

    full_state_update = False

    def __init__(self, members: int) -> None:
        super().__init__()
        self.add_state("total", torch.zeros(members, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, values: Tensor) -> None:
        self.total += values.detach().sum(1).double()
        self.count += values.shape[1]

    def compute(self) -> Tensor:
        return self.total / self.count


def ratio_mae(estimate: Tensor, exact: Tensor) -> Tensor:
    """Mean |LR_hat - LR| over points: (members, n) and (n,) -> (members,)."""
    return (estimate - exact).abs().mean(-1)


def summarize(mae: Tensor) -> tuple[float, float]:
    """Mean and sample std (ddof=1, as in the reference) over members; std is 0 for one member."""
    mae = mae.double()
    std = mae.std(unbiased=True).item() if mae.numel() > 1 else 0.0
    return mae.mean().item(), std
