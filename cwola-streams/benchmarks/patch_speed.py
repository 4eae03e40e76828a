"""Patches per hour on this machine at the paper's configuration, beside the paper's 4 per hour.

The paper reports about 15 minutes per mock patch on an A40 (60 models of 3 x 256, batch 10,000,
up to 100 epochs with patience 20). A full patch takes hours on a CPU, so this times ``--epochs``
epochs of the batched 60-model ensemble on a window of ``--stars`` stars and extrapolates to
``--epochs-per-patch`` epochs (the fit ends when the last of the 60 members stops).

    python benchmarks/patch_speed.py --stars 30000 --epochs 2 --epochs-per-patch 60
"""

from __future__ import annotations

import argparse
import time

import lightning as L
import torch
from ensemble_speed import toy_window

from polymath.cwola_streams.data.datamodule import PatchDataModule
from polymath.cwola_streams.module import CWoLaModule

PAPER_PATCHES_PER_HOUR = 60 / 15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stars", type=int, default=30_000, help="stars in SR + SB")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--epochs-per-patch", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--accelerator", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = PatchDataModule.from_patch(
        toy_window(args.stars), window_center=0.0, sr_half=0.5, sb_half=1.5, batch_size=10_000
    )
    data.setup("fit")
    module = CWoLaModule(members=data.members, patience=10**6)
    trainer = L.Trainer(
        max_epochs=args.epochs,
        accelerator=args.accelerator,
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    start = time.perf_counter()
    trainer.fit(module, data)
    per_epoch = (time.perf_counter() - start) / args.epochs
    per_hour = 3600 / (per_epoch * args.epochs_per_patch)
    print(
        f"60 models of 3 x 256 on {args.stars} stars, {args.accelerator}, {args.threads} threads: "
        f"{per_epoch:.1f} s per epoch; at {args.epochs_per_patch} epochs a patch, "
        f"{per_hour:.2f} patches per hour; paper (A40) {PAPER_PATCHES_PER_HOUR:.0f} per hour; "
        f"ratio here / paper = {per_hour / PAPER_PATCHES_PER_HOUR:.3f}"
    )


if __name__ == "__main__":
    main()
