"""A 2-process DDP fit over gloo: streamed shards, a synced torchmetric, one MLflow run."""

import json
import sys
from pathlib import Path

import lightning as L
import torch
import torchmetrics
from torch import nn

from polymath.foundation import build_trainer
from polymath.foundation.data import ShardDataModule
from polymath.foundation.tracking import broadcast_run_id, create_logger
from polymath.foundation.training import shutdown_distributed


class Recorder(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.model = nn.Linear(4, 1)
        self.mse = torchmetrics.MeanSquaredError()
        self.seen: list[int] = []

    def training_step(self, batch, batch_idx):
        self.seen.extend(batch["index"].tolist())
        prediction = self.model(batch["x"]).squeeze(-1)
        self.mse(prediction, batch["y"])
        self.log("train/mse", self.mse, on_step=False, on_epoch=True)
        return nn.functional.mse_loss(prediction, batch["y"])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


if __name__ == "__main__":
    shards, out, uri = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    logger = create_logger("ddp-test", "ddp-test/fit", tracking_uri=uri)
    trainer = build_trainer(
        {
            "accelerator": "cpu",
            "devices": 2,
            "strategy": "ddp",
            "max_epochs": 1,
            "progress": "none",
            "log_every_n_steps": 1,
        },
        logger=logger,
    )
    module = Recorder()
    trainer.fit(module, datamodule=ShardDataModule(train=shards, batch_size=4, shuffle=8))
    run_id = broadcast_run_id(trainer, logger)
    rank = trainer.global_rank
    (out / f"rank{rank}.json").write_text(json.dumps({"seen": module.seen, "run_id": run_id}))
    shutdown_distributed()
