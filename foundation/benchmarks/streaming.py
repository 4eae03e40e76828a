"""Samples/s of foundation's shard reader against webdataset's own pipeline and an in-memory loader.

    python foundation/benchmarks/streaming.py [--samples 32768] [--repeats 3]

Every sample is 1024 float32 (4 KiB) plus an int label; shards of 4096 samples, batch 256, a
shuffle buffer of 1000 on every streaming side, and the same shards for foundation and
webdataset. Loaders, each with 0 and 2 DataLoader workers:

- foundation: `ShardDataModule(...).train_dataloader()` (sha256 of every shard checked once
  per worker, persistent workers), on the plain layout (one tar member per field and sample,
  the same shards webdataset reads) and on the chunked layout (`write_shards(...,
  chunk_size=256)`: 256 samples per member);
- webdataset: `wds.WebDataset(urls, shardshuffle=100).shuffle(1000).decode()
  .to_tuple("x.npy", "label.cls").batched(256)` in a DataLoader(batch_size=None);
- litdata's StreamingDataset, when litdata is installed (it is not here: see the README);
- in memory: `DataLoader(TensorDataset(x, y), batch_size=256, shuffle=True)`.

Loaders run interleaved and each figure is the best of `--repeats` epochs, so that a busy
machine slows them all alike. The ratios are foundation's rate over each other's, with the
same number of workers.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import webdataset as wds
from torch.utils.data import DataLoader, TensorDataset

from polymath.foundation.data import Manifest, ShardDataModule, write_shards

BUFFER = 1000


def rate(batches: Iterable, samples: int) -> float:
    start = time.perf_counter()
    seen = 0
    for batch in batches:
        seen += len(batch["x"] if isinstance(batch, dict) else batch[0])
    assert seen == samples, (seen, samples)
    return samples / (time.perf_counter() - start)


def webdataset_loader(urls: list[str], batch_size: int, workers: int) -> DataLoader:
    pipeline = (
        wds.WebDataset(urls, shardshuffle=100, empty_check=False)
        .shuffle(BUFFER)
        .decode()
        .to_tuple("x.npy", "label.cls")
        .batched(batch_size)
    )
    return DataLoader(
        pipeline, batch_size=None, num_workers=workers, persistent_workers=workers > 0
    )


def loaders(folders: dict[str, Path], x, y, batch_size: int, workers: int) -> dict[str, Any]:
    plain = folders["foundation"]
    urls = [str(plain / shard.name) for shard in Manifest.load(plain).shards]
    memory = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    made: dict[str, Any] = {
        name: ShardDataModule(
            folder, batch_size=batch_size, num_workers=workers, shuffle=BUFFER
        ).train_dataloader()
        for name, folder in folders.items()
    }
    made["webdataset"] = webdataset_loader(urls, batch_size, workers)
    made["in memory"] = DataLoader(
        memory,
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        persistent_workers=workers > 0,
    )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=32768)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--shard-count", type=int, default=4096, help="samples per shard")
    parser.add_argument("--chunk", type=int, default=256, help="samples per member, chunked")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.samples, 1024), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    litdata = importlib.util.find_spec("litdata") is not None
    best: dict[tuple[str, int], float] = {}
    ours = ["foundation", f"foundation, chunks of {args.chunk}"]
    with tempfile.TemporaryDirectory() as scratch:
        folders = {name: Path(scratch) / str(index) for index, name in enumerate(ours)}
        for name, chunk in zip(ours, (None, args.chunk)):
            samples = ({"x": x[i], "label": int(y[i])} for i in range(args.samples))
            write_shards(samples, folders[name], max_count=args.shard_count, chunk_size=chunk)
        for workers in (0, 2):
            made = loaders(folders, x, y, args.batch_size, workers)
            for _ in range(args.repeats):
                for name, loader in made.items():
                    value = rate(loader, args.samples)
                    best[name, workers] = max(best.get((name, workers), 0.0), value)
            del made
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.samples} samples "
        f"of 4 KiB, shards of {args.shard_count}, batch {args.batch_size}, shuffle buffer "
        f"{BUFFER}, best of {args.repeats} epochs"
    )
    if not litdata:
        print("litdata: not installed, not measured")
    names = [*ours, "webdataset", "in memory"]
    print(f"{'samples/s':<28}{'0 workers':>12}{'2 workers':>12}")
    for name in names:
        print(f"{name:<28}" + "".join(f"{best[name, workers]:>12,.0f}" for workers in (0, 2)))
    for name in ours:
        for workers in (0, 2):
            ratios = ", ".join(
                f"÷ {other} {best[name, workers] / best[other, workers]:.2f}"
                for other in ("webdataset", "in memory")
            )
            print(f"{name}, {workers} workers: {ratios}")


if __name__ == "__main__":
    main()
