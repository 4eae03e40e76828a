"""Metrics shared by the packages: the normalized RMSE of PDEBench and MPP.

For one sample and one field, nRMSE = sqrt(mean(err²) / (mean(target²) + eps)) over the
spatial dimensions, i.e. ||pred - target||₂ / ||target||₂ with MPP's eps = 1e-7 guarding empty
fields. The reported value is the mean of these per-sample ratios over fields and samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torchmetrics import Metric

DEFAULT_EPS = 1e-7


def per_sample_nrmse(
    pred: Tensor,
    target: Tensor,
    *,
    spatial_dims: Sequence[int] | None = None,
    eps: float = DEFAULT_EPS,
) -> Tensor:
    """nRMSE per sample and field, shape (batch, fields), for tensors (batch, fields, *spatial).

    `spatial_dims` (default: every dim after the field dim) are the dims the norms run over;
    any other dims after the field dim (e.g. time) are averaged afterwards.
    """
    if pred.shape != target.shape:
        raise ValueError(f"nRMSE: pred shape {tuple(pred.shape)} != target {tuple(target.shape)}")
    if pred.ndim < 3:
        raise ValueError(
            f"nRMSE: expected (batch, fields, *spatial) tensors, got shape {tuple(pred.shape)}"
        )
    dims = _spatial_dims(pred.ndim, spatial_dims)
    error = (pred - target).float().pow(2).mean(dims)
    norm = target.float().pow(2).mean(dims)
    ratio = (error / (norm + eps)).sqrt()
    return ratio.flatten(2).mean(-1) if ratio.ndim > 2 else ratio


def normalized_rmse(
    pred: Tensor,
    target: Tensor,
    *,
    spatial_dims: Sequence[int] | None = None,
    eps: float = DEFAULT_EPS,
    per_field: bool = False,
) -> Tensor:
    """Mean nRMSE over samples and fields; with `per_field`, one value per field."""
    ratio = per_sample_nrmse(pred, target, spatial_dims=spatial_dims, eps=eps)
    by_field = ratio.mean(0)
    return by_field if per_field else by_field.mean()


class NormalizedRMSE(Metric):
    """nRMSE accumulated over batches and synchronised across processes (sums of ratios).

    `num_fields` is needed only for `per_field=True`, which computes one value per field.
    """

    is_differentiable = True
    higher_is_better = False
    full_state_update = False

    def __init__(
        self,
        *,
        num_fields: int | None = None,
        per_field: bool = False,
        spatial_dims: Sequence[int] | None = None,
        eps: float = DEFAULT_EPS,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if per_field and not num_fields:
            raise ValueError("NormalizedRMSE(per_field=True) needs num_fields")
        self.num_fields = num_fields
        self.per_field = per_field
        self.spatial_dims = tuple(spatial_dims) if spatial_dims is not None else None
        self.eps = eps
        shape = (num_fields,) if num_fields else ()
        self.add_state("ratio_sum", torch.zeros(shape, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("samples", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, pred: Tensor, target: Tensor) -> None:
        ratio = per_sample_nrmse(pred, target, spatial_dims=self.spatial_dims, eps=self.eps)
        if self.num_fields and ratio.shape[1] != self.num_fields:
            raise ValueError(
                f"NormalizedRMSE: got {ratio.shape[1]} fields, expected {self.num_fields}"
            )
        by_field = ratio.double().sum(0)
        self.ratio_sum += by_field if self.num_fields else by_field.mean()
        self.samples += ratio.shape[0]

    def compute(self) -> Tensor:
        by_field = self.ratio_sum / self.samples
        return (by_field if self.per_field else by_field.mean()).float()


def _spatial_dims(ndim: int, spatial_dims: Sequence[int] | None) -> tuple[int, ...]:
    if spatial_dims is None:
        return tuple(range(2, ndim))
    dims = tuple(sorted({dim % ndim for dim in spatial_dims}))
    if not dims or dims[0] < 2 or max(spatial_dims) >= ndim or min(spatial_dims) < -ndim:
        raise ValueError(
            f"nRMSE: spatial_dims {tuple(spatial_dims)} must name dims after (batch, fields) "
            f"of a {ndim}-d tensor"
        )
    return dims
