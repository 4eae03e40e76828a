"""A counting run killed mid-training and resumed ends bitwise where the uninterrupted run ends."""

from pathlib import Path

import pytest
import torch
from lightning import Callback, seed_everything

from polymath.counting_transformers.datamodule import CountingDataModule
from polymath.counting_transformers.module import CountingModule
from polymath.foundation import build_trainer, fit


class KillAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.step:
            raise KeyboardInterrupt


def _fit(
    folder: Path, data_dir: Path, kill_at: int | None = None, workers: int = 0
) -> torch.Tensor:
    seed_everything(0, workers=True)
    data = CountingDataModule(
        length=16,
        regions=2,
        batch_size=16,
        eval_size=16,
        data_dir=str(data_dir),
        num_workers=workers,
    )
    module = CountingModule(max_count=data.max_count, d_model=8, lr=3e-3, warmup_steps=3)
    config = {
        "max_steps": 16,
        "checkpoint_dir": str(folder),
        "checkpoint_every_n_steps": 4,
        "val_check_interval": 8,
        "resume": "auto",
        "deterministic": True,
        "progress": "none",
    }
    trainer = build_trainer(config, callbacks=[KillAt(kill_at)] if kill_at else [])
    fit(trainer, module, data, config)
    return torch.cat([parameter.detach().flatten() for parameter in module.parameters()])


@pytest.mark.parametrize("workers", [0, 2])
def test_a_killed_run_resumes_onto_the_uninterrupted_trajectory(tmp_path: Path, workers) -> None:
    """With DataLoader workers too: each worker's stream position is in the checkpoint."""
    uninterrupted = _fit(tmp_path / "whole", tmp_path / "data", workers=workers)
    with pytest.raises(SystemExit):
        _fit(tmp_path / "killed", tmp_path / "data", kill_at=10, workers=workers)
    assert torch.load(tmp_path / "killed" / "last.ckpt", weights_only=True)["global_step"] == 8
    assert torch.equal(_fit(tmp_path / "killed", tmp_path / "data", workers=workers), uninterrupted)
