"""AViT-B trained at bf16 on one GPU: model FLOP utilisation against the card's bf16 peak.

    python benchmarks/gpu_mfu.py --seconds 90

Prints the FLOP/s achieved (FLOPs from torch.utils.flop_counter), the measured dense bf16 matmul
FLOP/s and, for known cards, the datasheet peak. Target: >= 40 % of the bf16 peak.
"""

from __future__ import annotations

import argparse
import time

import torch
from common import matmul_flops_per_second, step_flops, synthetic_batch, train_step

from polymath.mpp.model import AViT

DENSE_BF16_PEAK = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12, "B200": 2250e12}
"""Dense (not sparse) bf16 tensor-core peaks from the datasheets, by name fragment."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="B", choices=["Ti", "S", "B", "L"])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--history", type=int, default=16)
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--fields", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("gpu_mfu.py needs a CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    name = torch.cuda.get_device_name()
    model = AViT(args.size, drop_path=0.0).cuda()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    x, y, fields, bcs = synthetic_batch(
        args.batch, args.history, args.fields, args.resolution, "cuda"
    )
    flops = step_flops(model, x, y, fields, bcs, autocast=torch.bfloat16)
    step_model = torch.compile(model) if args.compile else model
    for _ in range(5):
        train_step(step_model, optimizer, x, y, fields, bcs, autocast=torch.bfloat16)
    torch.cuda.synchronize()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        train_step(step_model, optimizer, x, y, fields, bcs, autocast=torch.bfloat16)
        steps += 1
        if steps % 10 == 0:
            torch.cuda.synchronize()
    torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / steps
    achieved = flops / seconds
    measured = matmul_flops_per_second(8192, torch.bfloat16, "cuda", seconds=5.0)
    print(
        f"{name}: AViT-{args.size} bf16, batch {args.batch}, {args.history} frames at {args.resolution}²"
    )
    print(f"  {steps} steps, {seconds * 1e3:.1f} ms/step, {args.batch / seconds:.1f} samples/s")
    print(f"  {flops / 1e12:.2f} TFLOP per step -> {achieved / 1e12:.1f} TFLOP/s")
    print(
        f"  measured dense bf16 matmul: {measured / 1e12:.1f} TFLOP/s -> utilisation {achieved / measured:.2f}"
    )
    peak = next((value for key, value in DENSE_BF16_PEAK.items() if key in name), None)
    if peak:
        print(f"  datasheet dense bf16 peak {peak / 1e12:.0f} TFLOP/s -> MFU {achieved / peak:.2f}")
    print(f"  peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")


if __name__ == "__main__":
    main()
