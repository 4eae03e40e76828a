"""The MAE of estimated against exact likelihood ratios, and its summary over members."""

from __future__ import annotations

from torch import Tensor


def ratio_mae(estimate: Tensor, exact: Tensor) -> Tensor:
    """Mean |LR_hat - LR| over points: (members, n) and (n,) -> (members,)."""
    return (estimate - exact).abs().mean(-1)


def summarize(mae: Tensor) -> tuple[float, float]:
    """Mean and sample std (ddof=1, as in the reference) over members; std is 0 for one member."""
    mae = mae.double()
    std = mae.std(unbiased=True).item() if mae.numel() > 1 else 0.0
    return mae.mean().item(), std
