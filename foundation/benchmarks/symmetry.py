"""Symmetry toolkit figures, measured in one run: jets/s from Pythia, training samples/s of each
tagger, and the cost of equivariance (LorentzNet-style ÷ Deep Sets time per step at equal parameters).

    python foundation/benchmarks/symmetry.py [--jets 20] [--steps 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional as F

from polymath.foundation.symmetry.jets import toy_jets
from polymath.foundation.symmetry.taggers import DeepSetsTagger, build_tagger


def parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def samples_per_second(
    model: torch.nn.Module, jets: torch.Tensor, labels: torch.Tensor, steps: int, batch: int
) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for step in range(steps + 2):  # two warm-up steps
        if step == 2:
            start = time.perf_counter()
        index = torch.randint(len(jets), (batch,))
        loss = F.binary_cross_entropy_with_logits(model(jets[index]), labels[index].float())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return steps * batch / (time.perf_counter() - start)


def deep_sets_matching(target: int, layers: int) -> DeepSetsTagger:
    """The Deep Sets tagger whose parameter count is closest to ``target``."""
    return min(
        (DeepSetsTagger(hidden=h, layers=layers) for h in range(4, 512, 2)),
        key=lambda m: abs(parameters(m) - target),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jets", type=int, default=20, help="Pythia jets of each kind to time")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--constituents", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    try:
        from polymath.foundation.symmetry.jets.pythia import generate_jets

        for kind in ("top", "qcd"):
            start = time.perf_counter()
            generate_jets(kind, args.jets, args.constituents, seed=11)
            print(f"pythia {kind} jets/s: {args.jets / (time.perf_counter() - start):.1f}")
    except ImportError as error:
        print(f"pythia: not measured ({error})")

    constituents, labels = toy_jets(2048, args.constituents, seed=0)
    jets, labels = torch.from_numpy(constituents), torch.from_numpy(labels)
    rates = {}
    for architecture in ("lorentznet", "pelican", "deepsets", "mlp"):
        model = build_tagger(architecture, 16, 2, 0.0, args.constituents)
        rates[architecture] = samples_per_second(model, jets, labels, args.steps, args.batch)
        print(
            f"{architecture:>10}: {parameters(model):6d} parameters, {rates[architecture]:8.0f} training samples/s"
        )

    lorentz = build_tagger("lorentznet", 16, 2, 0.0, args.constituents)
    sets = deep_sets_matching(parameters(lorentz), layers=3)
    lorentz_rate = samples_per_second(lorentz, jets, labels, args.steps, args.batch)
    sets_rate = samples_per_second(sets, jets, labels, args.steps, args.batch)
    print(
        f"cost of equivariance: LorentzNet-style ({parameters(lorentz)} parameters) takes "
        f"{sets_rate / lorentz_rate:.1f}x the time per step of Deep Sets ({parameters(sets)} parameters)"
    )


if __name__ == "__main__":
    main()
