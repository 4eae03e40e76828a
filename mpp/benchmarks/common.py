"""Shared by the benchmarks: FLOPs of a training step and this machine's dense matmul FLOP/s."""

from __future__ import annotations

import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from polymath.mpp.losses import normalized_mse
from polymath.mpp.model import AViT


def synthetic_batch(batch: int, history: int, fields: int, size: int, device: str = "cpu"):
    x = torch.randn(batch, history, fields, size, size, device=device)
    y = torch.randn(batch, fields, size, size, device=device)
    return x, y, torch.arange(fields, device=device), torch.ones(batch, 2, device=device)


def train_step(
    model: AViT,
    optimizer: torch.optim.Optimizer,
    x,
    y,
    fields,
    bcs,
    autocast: torch.dtype | None = None,
):
    device_type = x.device.type
    with torch.autocast(device_type, dtype=autocast, enabled=autocast is not None):
        loss = normalized_mse(model(x, fields, bcs), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss


def step_flops(model: AViT, x, y, fields, bcs, autocast: torch.dtype | None = None) -> int:
    """FLOPs of one forward and backward pass, counted by torch.utils.flop_counter."""
    counter = FlopCounterMode(display=False)
    with counter, torch.autocast(x.device.type, dtype=autocast, enabled=autocast is not None):
        normalized_mse(model(x, fields, bcs), y).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def matmul_flops_per_second(
    n: int = 2048, dtype: torch.dtype = torch.float32, device: str = "cpu", seconds: float = 3.0
) -> float:
    """Dense matmul FLOP/s measured here and now (the denominator of the utilisation)."""
    a = torch.randn(n, n, dtype=dtype, device=device)
    b = torch.randn(n, n, dtype=dtype, device=device)
    _sync(device)
    a @ b
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        done += 1
        if device != "cpu" and done % 20:
            continue
        _sync(device)
    _sync(device)
    return 2 * n**3 * done / (time.perf_counter() - start)


def _sync(device: str) -> None:
    if device != "cpu":
        torch.cuda.synchronize()
