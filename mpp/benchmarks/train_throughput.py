"""Training samples/s of AViT on CPU and its FLOP utilisation against this machine's matmul FLOP/s.

    python benchmarks/train_throughput.py --size S --resolution 64

Target: utilisation >= 0.3 for a mid-size preset at 64x64.
"""

from __future__ import annotations

import argparse
import time

import torch
from common import matmul_flops_per_second, step_flops, synthetic_batch, train_step

from polymath.mpp.model import AViT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="S", choices=["Ti", "S", "B", "L"])
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--history", type=int, default=8)
    parser.add_argument("--fields", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = AViT(args.size, drop_path=0.0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x, y, fields, bcs = synthetic_batch(args.batch, args.history, args.fields, args.resolution)
    flops = step_flops(model, x, y, fields, bcs)
    train_step(model, optimizer, x, y, fields, bcs)  # warm-up
    start = time.perf_counter()
    for _ in range(args.steps):
        train_step(model, optimizer, x, y, fields, bcs)
    seconds = (time.perf_counter() - start) / args.steps
    peak = matmul_flops_per_second()
    achieved = flops / seconds
    print(
        f"AViT-{args.size} at {args.resolution}², batch {args.batch}, {args.history} frames, {torch.get_num_threads()} threads"
    )
    print(
        f"  step: {seconds:.3f} s, {args.batch / seconds:.2f} samples/s, {flops / 1e9:.1f} GFLOP per step"
    )
    print(
        f"  achieved {achieved / 1e9:.1f} GFLOP/s; dense fp32 matmul here {peak / 1e9:.1f} GFLOP/s"
    )
    print(f"  model FLOP utilisation: {achieved / peak:.2f}")


if __name__ == "__main__":
    main()
