"""Samples/s streamed from local shards through ShardDataModule vs in-memory tensor indexing.

    python foundation/benchmarks/streaming.py [--samples 32768] [--batch-size 256] [--workers 2]

Every sample is 1024 float32 (4 KiB) plus an int label; shards hold 4096 samples, a shuffle
buffer of 1000 is on and sha256 verification too (the defaults). Baselines, same samples and
batch size: a DataLoader over a TensorDataset (shuffled per-sample indexing + collation, the usual
in-memory loader) and raw batched indexing `x[perm[i:i + b]]`. Methods run interleaved, each
figure is the best of `--repeats` epochs, so a busy machine hurts all of them alike.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterable

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from polymath.foundation.data import ShardDataModule, write_shards


def rate(batches: Iterable, samples: int) -> float:
    start = time.perf_counter()
    seen = sum(len(batch[0] if isinstance(batch, list) else batch["x"]) for batch in batches)
    assert seen == samples, (seen, samples)
    return samples / (time.perf_counter() - start)


def raw_indexing(x: torch.Tensor, y: torch.Tensor, batch_size: int):
    order = torch.randperm(len(x))
    for i in range(0, len(x), batch_size):
        index = order[i : i + batch_size]
        yield [x[index], y[index]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=32768)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shard-count", type=int, default=4096, help="samples per shard")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.samples, 1024), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    in_memory = DataLoader(TensorDataset(xt, yt), batch_size=args.batch_size, shuffle=True)
    rates: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        samples = ({"x": x[i], "y": int(y[i])} for i in range(args.samples))
        write_shards(samples, folder, max_count=args.shard_count)
        written = args.samples / (time.perf_counter() - start)
        loaders = {
            f"shards, ShardDataModule, {args.workers} persistent workers": ShardDataModule(
                folder,
                batch_size=args.batch_size,
                num_workers=args.workers,
                shuffle=1000,
                persistent_workers=True,
            ).train_dataloader(),
            f"shards, ShardDataModule, {args.workers} fresh workers per epoch": ShardDataModule(
                folder, batch_size=args.batch_size, num_workers=args.workers, shuffle=1000
            ).train_dataloader(),
            "shards, ShardDataModule, no workers (one core)": ShardDataModule(
                folder, batch_size=args.batch_size, num_workers=0, shuffle=1000
            ).train_dataloader(),
        }
        for _ in range(args.repeats):
            for name, loader in loaders.items():
                rates.setdefault(name, []).append(rate(loader, args.samples))
            rates.setdefault("in memory, DataLoader(TensorDataset)", []).append(
                rate(in_memory, args.samples)
            )
            rates.setdefault("in memory, raw batched indexing", []).append(
                rate(raw_indexing(xt, yt, args.batch_size), args.samples)
            )
    best = {name: max(values) for name, values in rates.items()}
    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} CPUs, load average {load:.1f}; "
        f"{args.samples} samples of 4 KiB, batch {args.batch_size}, {args.workers} workers, "
        f"{torch.get_num_threads()} torch threads; write_shards: {written:,.0f} samples/s"
    )
    for name, value in best.items():
        print(f"{name:<52} {value:>10,.0f} samples/s")
    baseline = best["in memory, DataLoader(TensorDataset)"]
    for name in loaders:
        print(f"ratio {name} / TensorDataset loader: {best[name] / baseline:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
