"""A patch's nested k-fold trained as one batched ensemble against the same models fitted one by one.

Both sides run the same Lightning module and data for the same number of epochs (no early stopping,
so both do identical work); the separate fits each get a one-member ensemble and their own fold's
batches, as 60 Keras fits would. Prints seconds per side and the ratio.

    python benchmarks/ensemble_speed.py --stars 5000 --hidden 64 --epochs 2
"""

from __future__ import annotations

import argparse
import time

import lightning as L
import numpy as np
import torch

from polymath.cwola_streams.data import Patch
from polymath.cwola_streams.data.datamodule import PatchDataModule
from polymath.cwola_streams.module import CWoLaModule


class OneMember(PatchDataModule):
    """The same patch and folds, with the fold masks of one member only."""

    def __init__(self, parent: PatchDataModule, member: int) -> None:
        super().__init__(**parent.hparams)
        self._patch = parent.patch
        self.member = member

    @property
    def members(self) -> int:
        return 1

    @property
    def _masks(self):  # type: ignore[override]
        return tuple(m[self.member : self.member + 1] for m in super()._masks)


def toy_window(stars: int, seed: int = 0) -> Patch:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(stars, 10))
    values[:, 9] = rng.uniform(-1.5, 1.5, stars)
    return Patch(values, None)


def trainer(epochs: int) -> L.Trainer:
    return L.Trainer(
        max_epochs=epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stars", type=int, default=5000, help="stars in SR + SB")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    hidden = [args.hidden] * 3
    data = PatchDataModule.from_patch(
        toy_window(args.stars), window_center=0.0, sr_half=0.5, sb_half=1.5, batch_size=10_000
    )
    data.setup("fit")
    module = CWoLaModule(members=data.members, hidden=hidden, patience=10**6)
    start = time.perf_counter()
    trainer(args.epochs).fit(module, data)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    for k in range(data.members):
        single = OneMember(data, k)
        trainer(args.epochs).fit(CWoLaModule(members=1, hidden=hidden, patience=10**6), single)
    separate = time.perf_counter() - start
    print(
        f"{data.members} models, {args.stars} stars, 3 x {args.hidden}, {args.epochs} epochs, "
        f"{args.threads} threads: batched {batched:.1f} s, separate fits {separate:.1f} s, "
        f"separate / batched = {separate / batched:.2f}"
    )


if __name__ == "__main__":
    main()
