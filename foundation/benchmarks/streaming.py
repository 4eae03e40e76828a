"""Samples/s of foundation's shard reader against webdataset, litdata and an in-memory loader.

    python foundation/benchmarks/streaming.py [--samples 32768] [--repeats 3]
        [--litdata-python /tmp/litdata-venv/bin/python]

Every sample is 1024 float32 (4 KiB) plus an int label; shards of 4096 samples, batch 256, a
shuffle buffer of 1000 on every streaming side, and the same shards for foundation and
webdataset. Loaders, each with 0 and 2 DataLoader workers:

- foundation: `ShardDataModule(...).train_dataloader()` (sha256 of every shard checked once
  per worker, persistent workers), on the plain layout (one tar member per field and sample,
  the same shards webdataset reads) and on the chunked layout (`write_shards(...,
  chunk_size=256)`: 256 samples per member);
- webdataset: `wds.WebDataset(urls, shardshuffle=100).shuffle(1000).decode()
  .to_tuple("x.npy", "label.cls").batched(256)` in a DataLoader(batch_size=None);
- litdata: `StreamingDataLoader(StreamingDataset(folder, shuffle=True), batch_size=256)` over
  the same samples in chunks of 4096, run by `--litdata-python` (an interpreter with litdata,
  which this project's environment cannot hold: see streaming_litdata.py), or by this one when
  it imports litdata; skipped, with the reason printed, otherwise. Its shuffle is its own
  (chunk order and samples within a chunk), and each of its figures is the better of two epochs
  of one process, started once per round;
- in memory: `DataLoader(TensorDataset(x, y), batch_size=256, shuffle=True)`.

Loaders run interleaved and each figure is the best of `--repeats` epochs, so that a busy
machine slows them all alike. The ratios are foundation's rate over each other's, with the
same number of workers. Beside each rate, the least CPU time per sample of this process and the
loader's workers (from /proc) over those epochs: on a shared machine it moves less than wall time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import webdataset as wds
from loader_cpu import cpu_seconds  # this folder is on sys.path when a script runs
from torch.utils.data import DataLoader, TensorDataset

from polymath.foundation.data import Manifest, ShardDataModule, write_shards

BUFFER = 1000


def rate(loader: Any, samples: int) -> tuple[float, float]:
    """(samples/s, CPU µs per sample over all the loader's processes) of one epoch."""
    cpu, start = cpu_seconds(loader), time.perf_counter()
    seen = 0
    for batch in loader:
        seen += len(batch["x"] if isinstance(batch, dict) else batch[0])
    assert seen == samples, (seen, samples)
    wall = time.perf_counter() - start
    return samples / wall, (cpu_seconds(loader) - cpu) / samples * 1e6


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


LITDATA = Path(__file__).with_name("streaming_litdata.py")


def litdata_rates(python: str, folder: Path, workers: int, batch_size: int) -> list[list[float]]:
    command = [python, str(LITDATA), "read", str(folder), f"--workers={workers}"]
    done = subprocess.run(
        [*command, f"--batch-size={batch_size}"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def litdata_folder(python: str | None, scratch: Path, x, y) -> tuple[Path | None, str]:
    """The samples written for litdata, or None and why not."""
    if python is None:
        return None, "not importable here and no --litdata-python given"
    np.save(scratch / "x.npy", x)
    np.save(scratch / "y.npy", y)
    done = subprocess.run(
        [python, str(LITDATA), "write", str(scratch)], capture_output=True, text=True
    )
    if done.returncode != 0:
        return None, f"{python} could not write its data: {done.stderr.strip().splitlines()[-1]}"
    return scratch, ""


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
    parser.add_argument("--litdata-python", help="an interpreter that imports litdata")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.samples, 1024), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    here = sys.executable if importlib.util.find_spec("litdata") is not None else None
    litdata_python = args.litdata_python or here
    best: dict[tuple[str, int], float] = {}
    cpu: dict[tuple[str, int], float] = {}
    load = os.getloadavg()[0]
    ours = ["foundation", f"foundation, chunks of {args.chunk}"]
    with tempfile.TemporaryDirectory() as scratch:
        folders = {name: Path(scratch) / str(index) for index, name in enumerate(ours)}
        for name, chunk in zip(ours, (None, args.chunk)):
            samples = ({"x": x[i], "label": int(y[i])} for i in range(args.samples))
            write_shards(samples, folders[name], max_count=args.shard_count, chunk_size=chunk)
        litdata, why_not = litdata_folder(litdata_python, Path(scratch), x, y)
        for workers in (0, 2):
            made = loaders(folders, x, y, args.batch_size, workers)
            for _ in range(args.repeats):
                measured = [(name, rate(loader, args.samples)) for name, loader in made.items()]
                if litdata is not None:
                    epochs = litdata_rates(litdata_python, litdata, workers, args.batch_size)
                    measured.append(("litdata", max(epochs)))
                for name, (value, micros) in measured:
                    best[name, workers] = max(best.get((name, workers), 0.0), value)
                    cpu[name, workers] = min(cpu.get((name, workers), np.inf), micros)
            del made
    print(
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end; {args.samples} samples "
        f"of 4 KiB, shards of {args.shard_count}, batch {args.batch_size}, shuffle buffer "
        f"{BUFFER}, best of {args.repeats} epochs"
    )
    others = ["webdataset", "in memory"]
    if litdata is None:
        print(f"litdata: not measured: {why_not}")
    else:
        others.insert(1, "litdata")
    names = [*ours, *others]
    print(f"{'samples/s (CPU µs/sample)':<28}{'0 workers':>18}{'2 workers':>18}")
    for name in names:
        cells = (f"{best[name, w]:,.0f} ({cpu[name, w]:.1f})" for w in (0, 2))
        print(f"{name:<28}" + "".join(f"{cell:>18}" for cell in cells))
    for name in ours:
        for workers in (0, 2):
            ratios = ", ".join(
                f"÷ {other} {best[name, workers] / best[other, workers]:.2f}" for other in others
            )
            print(f"{name}, {workers} workers: {ratios}")


if __name__ == "__main__":
    main()
