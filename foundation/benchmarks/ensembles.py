"""A batched ensemble against torch.func (stack_module_state + vmap) and a loop of separate models.

    python foundation/benchmarks/ensembles.py [--members 60] [--hidden 256 256 256] [--batch 500] [--threads 1]

The same K members (copied from one ``EnsembleMLP``, so every form starts from the same weights)
take Adam steps on the same batches of a binary task, with BCE and dropout, in three forms:

- batched: ``EnsembleMLP`` (weights (K, in, out), one ``baddbmm`` per layer for all members);
- torch.func: the K members as plain ``nn.Sequential``s, stacked with ``stack_module_state`` and
  run with ``vmap(functional_call)``;
- loop: K separate ``nn.Sequential``s with K optimizers, stepped one after the other (the inner loop
  of K separate fits, without any trainer overhead).

Before timing, the three forms are checked to give the same outputs. Timings alternate between the
forms over ``--repeats`` rounds and the median is kept, so the ratios are measured under the same
load. Defaults are cwola-streams' network (60 members, 3 x 256, dropout 0.2) at a smaller batch.

On a CPU, glibc's malloc hands every block above its mmap threshold (at most 32 MB) back to the
system when it is freed, so each fresh activation of a large ensemble costs page faults, which the
loop's small tensors never pay. ``--retain-freed-memory`` (``retain_freed_memory()``), the variables
``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736`` or jemalloc/tcmalloc through ``LD_PRELOAD``
keep freed memory for reuse; the output says which allocator settings were in effect.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap

from polymath.foundation.ensembles import EnsembleMLP, retain_freed_memory

Step = Callable[[Tensor, Tensor], None]


def batched_form(ensemble: EnsembleMLP, lr: float) -> tuple[Step, Callable[[Tensor], Tensor]]:
    optimizer = torch.optim.Adam(ensemble.parameters(), lr=lr)

    def step(x: Tensor, y: Tensor) -> None:
        logits = ensemble(x).squeeze(-1)
        loss = nn.functional.binary_cross_entropy_with_logits(
            logits, y.expand_as(logits), reduction="none"
        )
        optimizer.zero_grad(set_to_none=True)
        loss.mean(1).sum().backward()
        optimizer.step()

    return step, _in_eval(ensemble, ensemble)


def _in_eval(module: nn.Module, forward: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """``forward`` run with ``module`` (and its dropout) in eval mode, for the equality check."""

    def predict(x: Tensor) -> Tensor:
        module.eval()
        with torch.no_grad():
            out = forward(x)
        module.train()
        return out

    return predict


def vmap_form(members: list[nn.Module], lr: float) -> tuple[Step, Callable[[Tensor], Tensor]]:
    params, buffers = stack_module_state(members)
    base = copy.deepcopy(members[0]).to("meta")

    def one(p: dict[str, Tensor], b: dict[str, Tensor], x: Tensor) -> Tensor:
        return functional_call(base, (p, b), (x,))

    forward = vmap(one, in_dims=(0, 0, None), randomness="different")
    optimizer = torch.optim.Adam(params.values(), lr=lr)

    def step(x: Tensor, y: Tensor) -> None:
        logits = forward(params, buffers, x).squeeze(-1)
        loss = nn.functional.binary_cross_entropy_with_logits(
            logits, y.expand_as(logits), reduction="none"
        )
        optimizer.zero_grad(set_to_none=True)
        loss.mean(1).sum().backward()
        optimizer.step()

    return step, _in_eval(base, lambda x: forward(params, buffers, x))


def loop_form(members: list[nn.Module], lr: float) -> tuple[Step, Callable[[Tensor], Tensor]]:
    optimizers = [torch.optim.Adam(m.parameters(), lr=lr) for m in members]

    def step(x: Tensor, y: Tensor) -> None:
        for member, optimizer in zip(members, optimizers, strict=True):
            loss = nn.functional.binary_cross_entropy_with_logits(member(x).squeeze(-1), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    every = nn.ModuleList(members)
    return step, _in_eval(every, lambda x: torch.stack([m(x) for m in members]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument("--features", type=int, default=5)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256, 256])
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per form and round")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the median is kept")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--retain-freed-memory", action="store_true", help="call retain_freed_memory() first"
    )
    args = parser.parse_args()
    retained = args.retain_freed_memory and retain_freed_memory()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    ensemble = EnsembleMLP(
        args.members, args.features, args.hidden, dropout=args.dropout, init="keras"
    ).to(device)
    plain = [ensemble.member(k) for k in range(args.members)]
    forms = {
        "batched": batched_form(ensemble, 1e-3),
        "torch.func": vmap_form([copy.deepcopy(m) for m in plain], 1e-3),
        "loop": loop_form(plain, 1e-3),
    }
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, args.features, generator=generator).to(device)
    y = (x[:, 0] > 0).float()
    reference = forms["batched"][1](x)
    for name, (_, predict) in forms.items():
        difference = (predict(x) - reference).abs().max().item()
        assert difference < 1e-4, f"{name} differs from the batched form by {difference}"

    seconds: dict[str, list[float]] = {name: [] for name in forms}
    for step, _ in forms.values():
        step(x, y)  # warm-up
    for _ in range(args.repeats):
        for name, (step, _) in forms.items():
            if device.type == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
            for _ in range(args.steps):
                step(x, y)
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds[name].append((time.perf_counter() - started) / args.steps)

    per_step = {name: statistics.median(times) for name, times in seconds.items()}
    print(
        f"{args.device}, torch threads {torch.get_num_threads()}: {args.members} members, "
        f"MLP {args.features}-{'-'.join(map(str, args.hidden))}-1, dropout {args.dropout}, "
        f"batch {args.batch}, Adam; median of {args.repeats} x {args.steps} steps"
    )
    tunables = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("MALLOC_")]
    preload = [f"LD_PRELOAD={os.environ['LD_PRELOAD']}"] if "LD_PRELOAD" in os.environ else []
    retain = ["retain_freed_memory()"] if retained else []
    print(f"allocator: {' '.join(tunables + preload + retain) or 'glibc defaults'}")
    fastest = min(per_step, key=per_step.get)
    for name, step_time in per_step.items():
        print(
            f"{name:>11}: {1 / step_time:8.2f} steps/s  "
            f"({args.members * args.batch / step_time:12,.0f} member-samples/s)  "
            f"{step_time / per_step['batched']:5.2f}x the batched step time"
        )
    print(f"fastest: {fastest}")


if __name__ == "__main__":
    main()
