"""litdata's side of benchmarks/streaming.py, run by an interpreter that has litdata.

    python streaming_litdata.py write FOLDER --chunk-size 4096   # from FOLDER/x.npy, FOLDER/y.npy
    python streaming_litdata.py read FOLDER --workers 2 --batch-size 256 --epochs 2

litdata needs torchvision by its package metadata, which this project never installs; it imports
and streams arrays without it (`pip install litdata --no-deps` plus lightning-utilities, filelock,
requests and boto3, in a separate virtual environment). `read` prints one JSON line: [samples/s, CPU µs
per sample of all its processes] for each epoch of `StreamingDataLoader(StreamingDataset(FOLDER, shuffle=True), batch_size)` with
persistent workers; the caller keeps the best epoch, as it does for every other loader.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from loader_cpu import cpu_seconds  # this folder is on sys.path when a script runs


def write(folder: Path, chunk_size: int) -> None:
    from litdata.streaming.writer import BinaryWriter

    x, y = np.load(folder / "x.npy"), np.load(folder / "y.npy")
    writer = BinaryWriter(str(folder / "litdata"), chunk_size=chunk_size)
    for index in range(len(x)):
        writer.add_item(index, {"x": x[index], "label": int(y[index])})
    writer.done()
    writer.merge()


def read(folder: Path, workers: int, batch_size: int, epochs: int) -> list[list[float]]:
    from litdata import StreamingDataLoader, StreamingDataset

    dataset = StreamingDataset(str(folder / "litdata"), shuffle=True, seed=0)
    loader = StreamingDataLoader(
        dataset, batch_size=batch_size, num_workers=workers, persistent_workers=workers > 0
    )
    rates = []
    for _ in range(epochs):
        cpu, start, seen = cpu_seconds(loader), time.perf_counter(), 0
        for batch in loader:
            seen += len(batch["x"])
        assert seen == len(dataset), (seen, len(dataset))
        wall = time.perf_counter() - start
        rates.append([seen / wall, (cpu_seconds(loader) - cpu) / seen * 1e6])
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["write", "read"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--chunk-size", type=int, default=4096)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    if args.action == "write":
        write(args.folder, args.chunk_size)
    else:
        print(json.dumps(read(args.folder, args.workers, args.batch_size, args.epochs)))


if __name__ == "__main__":
    main()
