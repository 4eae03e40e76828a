"""Two CPU processes under Lightning DDP: which windows does each rank train on?"""

import json
import sys
from pathlib import Path

import lightning as L
import torch

from polymath.mpp.data.datamodule import MPPDataModule
from polymath.mpp.module import MPPModule


class Recording(MPPModule):
    def on_fit_start(self) -> None:
        self.seen = []

    def training_step(self, batch, batch_idx):
        self.seen.append(
            [int(batch["dataset"][0]), batch["index"].tolist(), len(set(batch["dataset"].tolist()))]
        )
        return super().training_step(batch, batch_idx)


def main(root: str, out: str) -> None:
    torch.set_num_threads(1)
    datamodule = MPPDataModule(
        datasets=["swe", "cns_m0.1"], root=root, history=3, batch_size=2, batches_per_epoch=5
    )
    module = Recording(size=None, embed_dim=32, num_heads=2, depth=1, drop_path=0.0, warmup_steps=1)
    trainer = L.Trainer(
        accelerator="cpu",
        devices=2,
        strategy="ddp",
        max_steps=5,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=1,
    )
    trainer.fit(module, datamodule=datamodule)
    Path(out, f"rank{trainer.global_rank}.json").write_text(json.dumps(module.seen))


if __name__ == "__main__":
    main(*sys.argv[1:])
