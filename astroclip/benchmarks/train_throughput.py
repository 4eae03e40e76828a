"""Training samples/s of each stage (`cpu` sizes, batch 32) and its model FLOP utilisation
against this machine's measured float32 matmul FLOP/s, all in one run.

    OMP_NUM_THREADS=2 python benchmarks/train_throughput.py

FLOPs per step come from torch.utils.flop_counter (forward and backward of one training step);
utilisation = (FLOPs per step / seconds per step) / (measured 1024^3 matmul FLOP/s).
"""

from __future__ import annotations

import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from polymath.astroclip.baselines import SupervisedModule
from polymath.astroclip.data.preprocess import preprocess_images
from polymath.astroclip.losses import clip_loss
from polymath.astroclip.module import AstroCLIPModule
from polymath.astroclip.pretrain_image import AstroDINOModule
from polymath.astroclip.pretrain_spectrum import SpecFormerModule

BATCH = 32


class _Trainer:
    estimated_stepping_batches = 1000
    global_step = 0


def matmul_flops_per_second(size: int = 1024, seconds: float = 3.0) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * size**3 * count / (time.perf_counter() - start)


def stages() -> dict[str, callable]:
    torch.manual_seed(0)
    fluxes = torch.rand(BATCH, 152, 152, 3) * 0.05
    images, spectra = preprocess_images(fluxes), torch.randn(BATCH, 7781, 1) + 3
    align = AstroCLIPModule(image_layer_scale=0.0)
    spectrum = SpecFormerModule()
    spectrum.log = align.log = lambda *a, **k: None
    dino = AstroDINOModule(
        layer_scale=0.0, prototypes=1024, head_hidden=256, head_bottleneck=64, local_crops=4
    )
    dino._trainer = _Trainer()
    dino.log = lambda *a, **k: None
    resnet = SupervisedModule("image")
    resnet.log = lambda *a, **k: None
    targets = torch.randn(BATCH, 5)
    return {
        "align (ViT + SpecFormer + heads)": lambda: clip_loss(*align.model(images, spectra), 15.5),
        "pretrain-spectrum (masked)": lambda: spectrum.step({"spectra": spectra}, "train"),
        "pretrain-image (DINO, 2+4 crops)": lambda: dino.training_step({"images": fluxes}, 0),
        "baseline ResNet": lambda: resnet.training_step({"inputs": fluxes, "targets": targets}, 0),
    }


def main(steps: int = 5) -> None:
    peak = matmul_flops_per_second()
    print(f"float32 matmul, 1024^3: {peak / 1e9:.1f} GFLOP/s (threads {torch.get_num_threads()})")
    for name, step in stages().items():
        with FlopCounterMode(display=False) as counter:
            step().backward()
        flops = counter.get_total_flops()
        step().backward()  # warm-up
        start = time.perf_counter()
        for _ in range(steps):
            step().backward()
        seconds = (time.perf_counter() - start) / steps
        print(
            f"{name:34s} {BATCH / seconds:7.1f} samples/s  {flops / 1e9:7.1f} GFLOP/step  "
            f"utilisation {flops / seconds / peak:.2f}"
        )


if __name__ == "__main__":
    main()
