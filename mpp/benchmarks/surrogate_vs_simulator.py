"""Wall time of a 20-step AViT rollout against the solver making the same 20 frames.

python benchmarks/surrogate_vs_simulator.py --dataset cns_m1.0 --resolution 64
"""

from __future__ import annotations

import argparse
import time

import torch

from polymath.mpp.data.simulate import simulate
from polymath.mpp.fields import get_dataset
from polymath.mpp.model import AViT
from polymath.mpp.rollout import rollout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cns_m1.0")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--trajectories", type=int, default=8)
    parser.add_argument("--history", type=int, default=4)
    parser.add_argument("--size", default="Ti", choices=["Ti", "S", "B", "L"])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    spec = get_dataset(args.dataset)
    start = time.perf_counter()
    run = simulate(args.dataset, args.trajectories, args.resolution, args.steps + 1, seed=0)
    solver = time.perf_counter() - start
    model = AViT(args.size).eval()
    frames = torch.from_numpy(run.fields).permute(0, 1, 4, 2, 3)
    history = frames[:, :1].expand(-1, args.history, -1, -1, -1).contiguous()
    bcs = torch.full((args.trajectories, 2), int(spec.periodic))
    rollout(model, history, torch.tensor(spec.slots), bcs, 1)  # warm-up
    start = time.perf_counter()
    rollout(model, history, torch.tensor(spec.slots), bcs, args.steps)
    surrogate = time.perf_counter() - start
    print(
        f"{args.dataset} at {args.resolution}², {args.trajectories} trajectories, {args.steps} frames, {torch.get_num_threads()} threads"
    )
    print(
        f"  solver {solver:.2f} s, AViT-{args.size} rollout {surrogate:.2f} s: surrogate/solver = {surrogate / solver:.2f}"
    )


if __name__ == "__main__":
    main()
