"""Throughput of PirouNet, the sequence VAE and the MDN-RNN: training windows per second, and
generation speed against real time (frames generated per second / 35 fps), measured in one run.

    python benchmarks/throughput.py [--size paper|quick] [--steps 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from polymath.pirounet.losses import kl_divergence, labelled_loss, unlabelled_loss
from polymath.pirounet.mdn import MixtureDensityRNN
from polymath.pirounet.model import PirouNet
from polymath.pirounet.sequence_vae import SequenceVAE

SIZES = {  # (PirouNet, sequence VAE, MDN) arguments
    "paper": ({}, {}, dict(hidden=64, mixtures=25)),
    "quick": (dict(hidden=64, encoder_layers=2, decoder_layers=2, latent=32),
              dict(seq_len=64, hidden=64, latent=32), {}),
}  # fmt: skip
FPS = 35


def rate(work: Callable[[], None], items: int, steps: int) -> float:
    """Items per second of ``work`` after one warm-up call."""
    work()
    start = time.perf_counter()
    for _ in range(steps):
        work()
    return items * steps / (time.perf_counter() - start)


def training_step(model: torch.nn.Module, loss: Callable[[], torch.Tensor]) -> Callable[[], None]:
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-4)

    def step() -> None:
        optimiser.zero_grad()
        loss().backward()
        optimiser.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="quick")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=80)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    pirounet_args, vae_args, mdn_args = SIZES[args.size]
    b = args.batch

    pirounet = PirouNet(**pirounet_args)
    x, y = torch.rand(b, 40, 159) * 2 - 1, torch.randint(0, 3, (b,))
    m2 = training_step(pirounet, lambda: labelled_loss(pirounet, x, y, "reference")[0].mean()
                       + unlabelled_loss(pirounet, x, "reference").mean())  # fmt: skip
    vae = SequenceVAE(**vae_args)
    phrases = torch.rand(b, vae.seq_len, 159)

    def vae_loss() -> torch.Tensor:
        reconstruction, mean, log_var = vae(phrases)
        return (reconstruction - phrases).pow(2).mean() + 2e-4 * kl_divergence(
            mean, log_var, "standard"
        ).mean()

    mdn = MixtureDensityRNN(**mdn_args)
    prompt = torch.rand(b, 10, 159)
    print(f"size {args.size}, batch {b}, {args.threads} threads")
    print(f"PirouNet training: {rate(m2, 2 * b, args.steps):.1f} windows/s (labelled + unlabelled)")
    print(f"sequence VAE training: {rate(training_step(vae, vae_loss), b, args.steps):.1f} phrases/s "
          f"of {vae.seq_len} frames")  # fmt: skip
    for name, generate, frames in [
        ("PirouNet", lambda: pirounet.eval().generate(y), b * 40),
        ("sequence VAE", lambda: vae.eval().generate(b), b * vae.seq_len),
        ("MDN-RNN (joint sampling)", lambda: mdn.generate(prompt, 35), b * 35),
    ]:
        speed = rate(generate, frames, args.steps)
        print(f"{name} generation: {speed:.0f} frames/s = {speed / FPS:.1f} x real time at 35 fps")


if __name__ == "__main__":
    main()
