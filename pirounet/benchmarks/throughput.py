"""PirouNet throughput: training windows per second (M2 step: one labelled and one unlabelled
batch) and generation speed against real time (frames generated per second / 35 fps).

    python benchmarks/throughput.py [--size paper|quick] [--steps 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import torch

from polymath.pirounet.losses import labelled_loss, unlabelled_loss
from polymath.pirounet.model import PirouNet

SIZES = {
    "paper": {},
    "quick": dict(hidden=64, encoder_layers=2, decoder_layers=2, latent=32),
}
FPS = 35


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="quick")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=80)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = PirouNet(**SIZES[args.size])
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-4)
    x = torch.rand(args.batch, 40, 159) * 2 - 1
    y = torch.randint(0, 3, (args.batch,))

    def step() -> None:
        optimiser.zero_grad()
        loss = (
            labelled_loss(model, x, y, "reference")[0].mean()
            + unlabelled_loss(model, x, "reference").mean()
        )
        loss.backward()
        optimiser.step()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    train_rate = 2 * args.batch * args.steps / (time.perf_counter() - start)
    model.eval()
    model.generate(y)
    start = time.perf_counter()
    for _ in range(args.steps):
        model.generate(y)
    frames_per_second = args.batch * 40 * args.steps / (time.perf_counter() - start)
    print(f"size {args.size}, batch {args.batch}, {args.threads} threads")
    print(f"training: {train_rate:.1f} windows/s (labelled + unlabelled)")
    print(
        f"generation: {frames_per_second:.0f} frames/s = {frames_per_second / FPS:.1f} x real time at 35 fps"
    )


if __name__ == "__main__":
    main()
