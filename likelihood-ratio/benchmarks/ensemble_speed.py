"""A batched ensemble against separate one-member trainings: wall-clock ratio and samples/s.

    python likelihood-ratio/benchmarks/ensemble_speed.py [--members 100] [--loop 10] [--n 10000]

Both train the paper's MLP (64-128-64, dropout 0.1) with MLC/exponential on N(±0.1, 1) for the
same number of epochs (patience high enough that early stopping never ends a fit early). The loop
of separate trainings is timed for ``--loop`` members and extrapolated to ``--members``, which the
output says. One process, one run: the ratio is measured under the same machine load.
"""

from __future__ import annotations

import argparse
import time
import warnings

import lightning as L
import torch

from polymath.foundation import build_trainer
from polymath.likelihood_ratio import LikelihoodRatioEnsemble, RatioDataModule


def train(
    members: int, first_member: int, data: RatioDataModule, epochs: int, accelerator: str
) -> float:
    L.seed_everything(0, verbose=False)
    module = LikelihoodRatioEnsemble(
        members=members, first_member=first_member, patience=10 * epochs
    )
    trainer = build_trainer(
        {
            "max_epochs": epochs,
            "progress": "none",
            "accelerator": accelerator,
            "devices": 1,
            "limit_val_batches": 1,
        }
    )
    started = time.perf_counter()
    trainer.fit(module, datamodule=data)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--loop", type=int, default=10, help="separate trainings actually timed")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--accelerator", default="cpu", help="cpu, gpu or auto")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    data = RatioDataModule("normal", n=args.n, n_test=1000)
    data.setup("fit")
    train_samples = len(data._train) * args.epochs

    batched = train(args.members, 0, data, args.epochs, args.accelerator)
    separate = sum(train(1, k, data, args.epochs, args.accelerator) for k in range(args.loop))
    extrapolated = separate * args.members / args.loop

    print(
        f"{args.accelerator}, torch threads {torch.get_num_threads()}, n={args.n}, "
        f"{args.epochs} epochs, batch 10%"
    )
    print(
        f"batched ensemble of {args.members}: {batched:8.1f} s "
        f"({args.members * train_samples / batched:,.0f} member-samples/s)"
    )
    print(
        f"{args.loop} separate one-member trainings: {separate:8.1f} s "
        f"({args.loop * train_samples / separate:,.0f} member-samples/s)"
    )
    print(
        f"{args.members} separate trainings, extrapolated from {args.loop}: {extrapolated:8.1f} s"
    )
    print(f"speed-up of batching: {extrapolated / batched:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
