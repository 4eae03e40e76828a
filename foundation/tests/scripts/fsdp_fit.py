"""A 2-process sharded fit on CPU: trainer.strategy="fsdp" means ModelParallelStrategy + FSDP2."""

import json
import sys
from pathlib import Path

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from polymath.foundation import build_trainer
from polymath.foundation.sharding import FSDP2Mixin
from polymath.foundation.training import shutdown_distributed


class Sharded(FSDP2Mixin, L.LightningModule):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.head = nn.Linear(32, 1)
        self.losses: list[float] = []

    def on_train_start(self):
        self.kinds = sorted({type(p).__name__ for p in self.parameters()})

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.head(self.encoder(x)).squeeze(-1), y)
        self.losses.append(loss.item())
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(256, 8, generator=generator)
    data = DataLoader(TensorDataset(x, x.sum(-1)), batch_size=16)
    trainer = build_trainer(
        {
            "accelerator": "cpu",
            "devices": 2,
            "strategy": "fsdp",
            "max_steps": 30,
            "progress": "none",
        }
    )
    module = Sharded()
    trainer.fit(module, data)
    (out / f"rank{trainer.global_rank}.json").write_text(
        json.dumps(
            {
                "kinds": module.kinds,
                "losses": module.losses,
                "strategy": type(trainer.strategy).__name__,
            }
        )
    )
    shutdown_distributed()
