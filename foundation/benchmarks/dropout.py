"""Dropout on a batched ensemble's activations: foundation's ``Dropout`` (mask from ``torch.rand``)
against ``nn.Dropout`` (``bernoulli_``), forward and backward, CPU time per call, one thread.

    python benchmarks/dropout.py [--members 60 --batch 1000 --width 64 --repeats 20]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from polymath.foundation.ensembles.layers import Dropout


def cpu_ms(layer: nn.Module, x: torch.Tensor, repeats: int) -> float:
    layer(x).sum().backward()  # warm-up
    start = time.process_time()
    for _ in range(repeats):
        layer(x).sum().backward()
    return (time.process_time() - start) / repeats * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--p", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    x = torch.randn(args.members, args.batch, args.width, requires_grad=True)
    ours = cpu_ms(Dropout(args.p).train(), x, args.repeats)
    torch_ms = cpu_ms(nn.Dropout(args.p).train(), x, args.repeats)
    identity = cpu_ms(nn.Identity(), x, args.repeats)
    print(f"activations {tuple(x.shape)}, p={args.p}, CPU ms per forward+backward (1 thread)")
    print(f"  nn.Dropout          {torch_ms:8.2f}")
    print(f"  foundation Dropout  {ours:8.2f}")
    print(f"  no dropout          {identity:8.2f}")
    print(f"ratio nn.Dropout / foundation Dropout: {torch_ms / ours:.2f}")
    print(f"ratio of the dropout's own cost: {(torch_ms - identity) / (ours - identity):.2f}")


if __name__ == "__main__":
    main()
