"""Why one quick run's validation and test accuracies disagree: how much a held-out block of the
synthetic dancer can say, and what a classifier on raw coordinates learns from 1 % labels.

For each data seed it trains, on the quick recipe's labelled windows (1 % hand-labelled, then
augmented), (a) a nearest-centroid classifier on two rotation-invariant speed statistics (log peak
and log mean marker speed), (b) PirouNet's MLP classifier alone on raw coordinates, (c) the same
with random z-rotations, and prints their accuracies on the leak-free validation and test blocks
(10 % of the timeline each) and on two independent held-out sessions, with the number of effort
runs in each block and its majority share.

    OMP_NUM_THREADS=1 python benchmarks/accuracy_noise.py [--seeds 6] [--steps 300]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from torch.nn import functional as F

from polymath.foundation.symmetry import apply_rotation, random_z_rotation_translation
from polymath.pirounet.data.datamodule import DanceDataModule
from polymath.pirounet.data.simulate import simulate_dancer
from polymath.pirounet.model import EffortClassifier


def windows(poses: torch.Tensor, starts: np.ndarray, seq_len: int = 40) -> torch.Tensor:
    return poses[torch.as_tensor(starts)[:, None] + torch.arange(seq_len)]


def speed_statistics(x: torch.Tensor) -> torch.Tensor:
    speed = x.unflatten(-1, (-1, 3)).diff(dim=1).norm(dim=-1).mean(-1)
    return torch.stack([speed.max(1).values.log(), speed.mean(1).log()], -1)


def nearest_centroid(x: torch.Tensor, y: torch.Tensor):
    features = speed_statistics(x)
    centres = torch.stack([features[y == k].mean(0) for k in range(3)])
    scale = features.std(0)
    return lambda z: ((speed_statistics(z)[:, None] - centres) / scale).pow(2).sum(-1).argmin(1)


def mlp(x: torch.Tensor, y: torch.Tensor, steps: int, rotate: bool, seed: int):
    torch.manual_seed(seed)
    model = EffortClassifier()
    optimiser = torch.optim.Adam(model.parameters(), 3.0e-4)
    for _ in range(steps):
        pick = torch.randint(len(x), (80,))
        batch = x[pick]
        if rotate:
            rotation, _ = random_z_rotation_translation(80, 0.0, dtype=torch.float32)
            batch = apply_rotation(rotation, batch.reshape(80, -1, 3)).reshape(batch.shape)
        loss = F.cross_entropy(model(batch), y[pick])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return lambda z: model(z).argmax(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("seed set windows effort_runs majority speed_centroid mlp mlp_z_rotated")
    for seed in range(args.seeds):
        blocks = DanceDataModule(synthetic_sessions=2, synthetic_seconds=60.0, seed=seed)
        blocks.setup()
        held = DanceDataModule(synthetic_sessions=2, synthetic_seconds=60.0, seed=seed,
                               synthetic_eval_seconds=120.0)  # fmt: skip
        held.setup()
        effort = simulate_dancer(2, 60.0, seed).effort
        x, y = (
            windows(blocks.poses, blocks.split.train_labelled),
            torch.as_tensor(blocks.split.train_labels),
        )
        classifiers = [nearest_centroid(x, y), mlp(x, y, args.steps, False, seed),
                       mlp(x, y, args.steps, True, seed)]  # fmt: skip
        sets = {
            "val_block": (blocks.poses, blocks.split.val, blocks.split.val_labels),
            "test_block": (blocks.poses, blocks.split.test, blocks.split.test_labels),
            "held_out_session": (held.poses, held.split.test, held.split.test_labels),
        }
        for name, (poses, starts, labels) in sets.items():
            runs = "-"
            if name != "held_out_session":
                runs = 1 + int(np.sum(np.diff(effort[starts.min() : starts.max() + 40]) != 0))
            truth = torch.as_tensor(labels)
            with torch.no_grad():
                scores = [
                    float((c(windows(poses, starts)) == truth).float().mean()) for c in classifiers
                ]
            majority = np.bincount(labels, minlength=3).max() / len(labels)
            print(
                seed,
                name,
                len(labels),
                runs,
                f"{majority:.3f}",
                *(f"{s:.3f}" for s in scores),
                flush=True,
            )


if __name__ == "__main__":
    main()
