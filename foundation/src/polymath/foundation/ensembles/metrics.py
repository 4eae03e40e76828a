"""Per-member metrics for ensembles whose outputs are laid out (members, batch, ...).

``MemberMean`` accumulates the mean of per-sample values (losses, errors) for each member, with an
optional per-member weight or mask, as members trained on different folds see different samples.
``per_member`` wraps any torchmetrics metric so that it computes one value per member.
"""

from __future__ import annotations

import torch
import torchmetrics
from torch import Tensor
from torchmetrics.wrappers import MultioutputWrapper


def member_mean(values: Tensor, weight: Tensor | None = None) -> Tensor:
    """Mean over the batch axis: (members, batch) -> (members,); ``weight`` (members, batch) or (batch,).

    A member whose weights sum to zero gets NaN (no sample to average), not a silent 0.
    """
    if weight is None:
        return values.mean(1)
    weight = weight.to(values.dtype).expand_as(values)
    return (values * weight).sum(1) / weight.sum(1)


class MemberMean(torchmetrics.Metric):
    """Running (weighted) mean over batches of values (members, batch); computes (members,).

    Sums are kept in float64 and reduced by summation, so the result is exact under DDP.
    """

    full_state_update = False
    is_differentiable = False

    def __init__(self, members: int, **kwargs) -> None:
        super().__init__(**kwargs)
        if members < 1:
            raise ValueError(f"members must be >= 1, got {members}")
        self.members = members
        self.add_state("total", torch.zeros(members, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("weight", torch.zeros(members, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, values: Tensor, weight: Tensor | None = None) -> None:
        if values.ndim != 2 or values.shape[0] != self.members:
            raise ValueError(
                f"MemberMean expects values ({self.members}, batch), got {tuple(values.shape)}"
            )
        values = values.detach().double()
        if weight is None:
            self.total += values.sum(1)
            self.weight += values.shape[1]
        else:
            weight = weight.detach().double().expand_as(values)
            self.total += (values * weight).sum(1)
            self.weight += weight.sum(1)

    def compute(self) -> Tensor:
        return self.total / self.weight


def per_member(metric: torchmetrics.Metric, members: int) -> MultioutputWrapper:
    """``metric`` computed for each member of predictions and targets laid out (members, batch).

    Targets shared by every member are expanded first: ``target.expand(members, -1)``.
    """
    return MultioutputWrapper(metric, members, output_dim=0, remove_nans=False)
