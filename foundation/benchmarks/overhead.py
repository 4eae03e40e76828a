"""Foundation's Trainer against a hand-written PyTorch loop: same model, data and steps.

    python foundation/benchmarks/overhead.py [--steps 200] [--repeats 3]

Prints the steady-state time per step of each and their ratio, for a small model (~1 ms steps)
and a larger one (~20 ms steps). Runs alternate between the two loops and the median is kept,
so that the ratio is measured under the same machine load.
"""

from __future__ import annotations

import argparse
import statistics
import time

import lightning as L
import torch
from lightning import Callback
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from polymath.foundation import build_trainer

SIZES = {"small": (64, 256, 2), "large": (512, 1024, 4)}  # features, width, hidden layers


def make_model(features: int, width: int, layers: int) -> nn.Module:
    blocks: list[nn.Module] = [nn.Linear(features, width), nn.GELU()]
    for _ in range(layers - 1):
        blocks += [nn.Linear(width, width), nn.GELU()]
    return nn.Sequential(*blocks, nn.Linear(width, 1))


def make_loader(features: int, steps: int, batch: int) -> DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(steps * batch, features, generator=generator)
    return DataLoader(TensorDataset(x, x.sum(-1, keepdim=True)), batch_size=batch)


class Wrapped(L.LightningModule):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.mse_loss(self.model(x), y)

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=1e-3)


class StepTimer(Callback):
    """Times the steps after the warm-up ones, from inside the loop."""

    def __init__(self, warmup: int):
        self.warmup, self.started, self.seconds = warmup, 0.0, 0.0

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        if batch_idx == self.warmup:
            self.started = time.perf_counter()

    def on_train_end(self, trainer, module):
        self.seconds = time.perf_counter() - self.started


def hand_loop(model: nn.Module, loader: DataLoader, warmup: int) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    started = 0.0
    for index, (x, y) in enumerate(loader):
        if index == warmup:
            started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - started


def foundation_loop(model: nn.Module, loader: DataLoader, warmup: int, steps: int) -> float:
    timer = StepTimer(warmup)
    trainer = build_trainer(
        {"max_steps": steps, "accelerator": "cpu", "devices": 1, "progress": "none"},
        callbacks=[timer],
    )
    trainer.fit(Wrapped(model), loader)
    return timer.seconds


def measure(size: str, steps: int, repeats: int, batch: int) -> tuple[float, float]:
    features, width, layers = SIZES[size]
    warmup = max(steps // 10, 5)
    timed = steps - warmup
    hand, ours = [], []
    for repeat in range(repeats):
        torch.manual_seed(repeat)
        loader = make_loader(features, steps, batch)
        hand.append(hand_loop(make_model(features, width, layers), loader, warmup) / timed)
        torch.manual_seed(repeat)
        ours.append(
            foundation_loop(make_model(features, width, layers), loader, warmup, steps) / timed
        )
    return statistics.median(hand), statistics.median(ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    L.pytorch.utilities.rank_zero.rank_zero_only.rank = 0
    print(f"torch threads: {torch.get_num_threads()}, steps: {args.steps}, repeats: {args.repeats}")
    print(f"{'model':8} {'hand loop ms/step':>18} {'foundation ms/step':>19} {'ratio':>7}")
    for size in SIZES:
        hand, ours = measure(size, args.steps, args.repeats, args.batch)
        print(f"{size:8} {hand * 1e3:18.3f} {ours * 1e3:19.3f} {ours / hand:7.3f}")


if __name__ == "__main__":
    main()
