"""Economy: parameters, FLOPs and latency of a model, the white paper's first figure of merit."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


@dataclass(frozen=True)
class EconomyReport:
    parameters: int
    flops: int
    """Floating-point operations of one forward pass on the example input (torch's flop counter)."""
    latency_ms: float
    """Median wall time of one forward pass, over ``repeats`` after a warm-up."""
    batch_size: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def economy_report(model: nn.Module, *example: torch.Tensor, repeats: int = 10) -> EconomyReport:
    """Counts trainable parameters, forward FLOPs and latency of ``model(*example)`` in eval mode."""
    parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            counter = FlopCounterMode(display=False)
            with counter:
                model(*example)
            model(*example)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                model(*example)
                times.append(time.perf_counter() - start)
    finally:
        model.train(was_training)
    batch = example[0].shape[0] if example and example[0].dim() else 1
    return EconomyReport(
        parameters, counter.get_total_flops(), 1e3 * statistics.median(times), batch
    )
