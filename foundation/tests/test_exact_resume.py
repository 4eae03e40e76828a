"""A fit killed at any step and resumed ends bitwise where the uninterrupted fit ends."""

from pathlib import Path

import numpy as np
import pytest
import torch
from lightning import Callback, LightningDataModule, LightningModule, seed_everything
from torch.utils.data import DataLoader, IterableDataset

from polymath.foundation import build_trainer, fit


class NoisyLine(IterableDataset):
    """An endless stream of (x, y) batches from its own generator, which it can save and restore."""

    def __init__(self) -> None:
        self.rng: np.random.Generator | None = None
        self.resume_from = None

    def __iter__(self):
        self.rng = np.random.default_rng(7)
        if self.resume_from is not None:
            self.rng.bit_generator.state, self.resume_from = self.resume_from, None
        while True:
            x = torch.from_numpy(self.rng.normal(size=(8, 4))).float()
            yield x, x.sum(dim=1, keepdim=True) + 0.1

    def state_dict(self) -> dict:
        return {"rng": None if self.rng is None else self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.resume_from = state["rng"]


class LineData(LightningDataModule):
    def train_dataloader(self) -> DataLoader:
        return DataLoader(NoisyLine(), batch_size=None)


class DropoutLine(LightningModule):
    """Dropout draws from torch's global generator; the schedule reads estimated_stepping_batches,
    which makes Lightning draw a batch before the checkpoint is restored (Lightning #20550)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, 16), torch.nn.Dropout(0.5), torch.nn.Linear(16, 1)
        )

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.05, momentum=0.9)
        total = self.trainer.estimated_stepping_batches
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


class KillAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.step:
            raise KeyboardInterrupt  # as Ctrl-C or SIGKILL would, after a checkpoint at step 10


def _fit(checkpoints: Path, kill_at: int | None = None) -> torch.Tensor:
    seed_everything(3, workers=True)
    config = {
        "max_steps": 24,
        "checkpoint_dir": str(checkpoints),
        "checkpoint_every_n_steps": 5,
        "resume": "auto",
        "deterministic": True,
        "progress": "none",
    }
    module = DropoutLine()
    trainer = build_trainer(config, callbacks=[KillAt(kill_at)] if kill_at else [])
    fit(trainer, module, LineData(), config)
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_a_killed_and_resumed_fit_ends_bitwise_where_the_uninterrupted_fit_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uninterrupted = _fit(tmp_path / "whole")
    with pytest.raises(SystemExit):  # Lightning turns the interrupt into exit(1)
        _fit(tmp_path / "killed", kill_at=13)
    saved = torch.load(tmp_path / "killed" / "last.ckpt", weights_only=True)
    assert saved["global_step"] == 10
    assert sorted(p.name for p in (tmp_path / "killed").glob("*.ckpt")) == [
        "last.ckpt",
        "step000010.ckpt",
    ]
    resumed = _fit(tmp_path / "killed")
    assert torch.equal(resumed, uninterrupted)
