"""Does the HDF5 loader keep up with training? Windows/s read with 2 workers against windows/s a
training step consumes, in one run.

    python benchmarks/loader_throughput.py --resolution 64
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
from common import train_step
from torch.utils.data import DataLoader

from polymath.mpp.data.datamodule import MPPDataModule
from polymath.mpp.data.sampler import MixedBatchStream
from polymath.mpp.model import AViT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--history", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--size", default="Ti", choices=["Ti", "S", "B", "L"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        datamodule = MPPDataModule(
            datasets=["swe", "diffre2d", "advdiff"],
            cache_dir=cache,
            resolution=args.resolution,
            trajectories=12,
            frames=args.history + 6,
            history=args.history,
            batch_size=args.batch,
        )
        datamodule.prepare_data()
        stream = MixedBatchStream(datamodule.split("train"), args.batch, args.batches)
        loader = DataLoader(stream, batch_size=None, num_workers=args.workers)
        start = time.perf_counter()
        batches = list(loader)
        loading = args.batches * args.batch / (time.perf_counter() - start)
    model = AViT(args.size, drop_path=0.0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    steps = batches[:5]
    train_step(
        model, optimizer, steps[0]["x"], steps[0]["y"], steps[0]["fields"][0], steps[0]["bcs"]
    )
    start = time.perf_counter()
    for batch in steps:
        train_step(model, optimizer, batch["x"], batch["y"], batch["fields"][0], batch["bcs"])
    training = len(steps) * args.batch / (time.perf_counter() - start)
    print(
        f"{args.resolution}², {args.history} history frames, batch {args.batch}, AViT-{args.size}"
    )
    print(
        f"  loader ({args.workers} workers): {loading:.0f} windows/s; training consumes {training:.1f} windows/s"
    )
    print(f"  loader/training = {loading / training:.1f} (>= 1: the loader never starves training)")


if __name__ == "__main__":
    main()
