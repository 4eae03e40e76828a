"""DINO collapse on two kinds of images: the current rules against the previous ones.

Trains ``AstroDINOModule`` on 64 small cutouts of two obviously different kinds (a large red or a
small blue blob in sky noise) and prints, per seed, the teacher's entropy (ln K when uniform) and
the mutual information between an image's kind and its teacher prototype (0 when collapsed, at most
ln 2). "previous" restores the three rules this package used before: the centre starting at zero,
PyTorch's default (biased) head initialisation, and the teacher temperature warmed to 0.07 within
30 steps. About 5 CPU-s per run.

    OMP_NUM_THREADS=1 python benchmarks/dino_collapse.py --steps 300 --seeds 0 1 2 3
"""

from __future__ import annotations

import argparse
import math

import torch

from polymath.astroclip.data.augment import to_network
from polymath.astroclip.data.preprocess import centre_crop
from polymath.astroclip.data.simulate import SKY_NOISE
from polymath.astroclip.pretrain_image import AstroDINOModule


def two_kinds(n: int, generator: torch.Generator, size: int = 56):
    y, x = torch.meshgrid(torch.arange(size * 1.0), torch.arange(size * 1.0), indexing="ij")
    r2 = (x - (size - 1) / 2) ** 2 + (y - (size - 1) / 2) ** 2
    kind = torch.arange(n) % 2
    red = torch.exp(-r2 / (2 * 8.0**2))[..., None] * torch.tensor([0.05, 0.2, 0.5])
    blue = torch.exp(-r2 / (2 * 3.0**2))[..., None] * torch.tensor([0.5, 0.2, 0.05])
    noise = torch.randn(n, size, size, 3, generator=generator) * torch.tensor(SKY_NOISE)
    return noise + torch.where(kind[:, None, None, None] == 0, red, blue), kind


def run(seed: int, steps: int, previous: bool, lr: float) -> tuple[float, float]:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    images, kind = two_kinds(64, generator)
    schedule = dict(teacher_temperature_end=0.07, teacher_temperature_warmup=30) if previous else {}
    module = AstroDINOModule(
        width=16,
        depth=1,
        layer_scale=0.0,
        prototypes=64,
        head_hidden=32,
        head_bottleneck=16,
        local_crops=2,
        global_crop_size=48,
        local_crop_size=24,
        ibot_weight=0.0,
        koleo_weight=0.0,
        lr=lr,
        warmup_steps=5,
        seed=seed,
        **schedule,
    )
    if previous:
        module.centre.started.fill_(True)  # the centre starts at zero
        for layer in module.head.mlp:
            if isinstance(layer, torch.nn.Linear):
                layer.reset_parameters()
        module.teacher_head.load_state_dict(module.head.state_dict())

    class Trainer:
        estimated_stepping_batches = steps
        global_step = 0

    module._trainer = Trainer()
    module.log = lambda *a, **k: None
    optimizers = module.configure_optimizers()
    optimizer, lr_schedule = optimizers["optimizer"], optimizers["lr_scheduler"]["scheduler"]
    for step in range(steps):
        Trainer.global_step = step
        module.train()
        loss = module.training_step(
            {"images": images[torch.randperm(64, generator=generator)[:16]]}, step
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        lr_schedule.step()
        Trainer.global_step = step + 1
        module.on_train_batch_end(None, None, step)
    with torch.no_grad():
        cls = module.model.eval()(to_network(centre_crop(images, 48)))[:, 0]
        teacher = module.centre.probabilities(module.teacher_head(cls), 0.04)
    entropy = float(-(teacher * teacher.log()).sum(-1).mean())
    per_kind = torch.stack([teacher[kind == k].mean(0) for k in (0, 1)])
    marginal = per_kind.mean(0)
    information = float(sum(0.5 * (p * (p / marginal).log()).sum() for p in per_kind))
    return entropy, information


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--lr", type=float, default=1.0e-4)
    args = parser.parse_args()
    print(f"two kinds, 64 prototypes (ln K = {math.log(64):.2f}), {args.steps} steps, lr {args.lr}")
    print("rules     seed  teacher entropy  information (nats, max ln 2 = 0.69)")
    for previous in (False, True):
        for seed in args.seeds:
            entropy, information = run(seed, args.steps, previous, args.lr)
            name = "previous" if previous else "current"
            print(f"{name:9s} {seed:4d}  {entropy:15.2f}  {information:11.2f}", flush=True)


if __name__ == "__main__":
    main()
