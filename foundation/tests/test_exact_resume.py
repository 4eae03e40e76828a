"""A fit killed at any step and resumed ends bitwise where the uninterrupted fit ends."""

from pathlib import Path

import numpy as np
import pytest
import torch
from lightning import Callback, LightningDataModule, LightningModule, seed_everything
from torch.utils.data import DataLoader, IterableDataset, TensorDataset, get_worker_info

from polymath.foundation import build_trainer, fit
from polymath.foundation.data.worker_streams import WorkerStreamLoader


class NoisyLine(IterableDataset):
    """An endless stream of (x, y) batches from its own generator, which it can save and restore;
    each DataLoader worker draws its own stream."""

    def __init__(self) -> None:
        self.rng: np.random.Generator | None = None
        self.resume_from = None

    def __iter__(self):
        worker = get_worker_info()
        self.rng = np.random.default_rng([7, 0 if worker is None else worker.id + 1])
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
    def __init__(self, workers: int = 0) -> None:
        super().__init__()
        self.workers = workers

    def train_dataloader(self) -> DataLoader:
        return DataLoader(NoisyLine(), batch_size=None, num_workers=self.workers)


class SkippingLoader(DataLoader):
    """A DataLoader with its own position (batches given in the epoch), as Lightning's stateful
    loaders have; the data has a length, so Lightning fetches no batch ahead."""

    def __init__(self) -> None:
        x = torch.from_numpy(np.random.default_rng(5).normal(size=(400, 4))).float()
        super().__init__(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=8)
        self.given = self.skip = 0

    def __iter__(self):
        batches = super().__iter__()  # at once, as DataLoader does: it draws a seed from torch
        self.given, self.skip = self.skip, 0
        for _ in range(self.given):
            next(batches)
        return self._counted(batches)

    def _counted(self, batches):
        for batch in batches:
            self.given += 1
            yield batch

    def state_dict(self) -> dict:
        return {"given": self.given}

    def load_state_dict(self, state: dict) -> None:
        self.skip = state["given"]


class TableData(LightningDataModule):
    def train_dataloader(self) -> DataLoader:
        return SkippingLoader()


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


def _fit(
    checkpoints: Path, kill_at: int | None = None, data=LineData, trainer=None, **extra
) -> torch.Tensor:
    seed_everything(3, workers=True)
    config = {
        "max_steps": 24,
        "checkpoint_dir": str(checkpoints),
        "checkpoint_every_n_steps": 5,
        "resume": "auto",
        "deterministic": True,
        "progress": "none",
        **extra,
    }
    module = DropoutLine()
    trainer = trainer or build_trainer(config, callbacks=[KillAt(kill_at)] if kill_at else [])
    fit(trainer, module, data(), config)
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


def test_a_stateful_dataloader_resumes_where_lightning_would_skip_its_state(tmp_path: Path) -> None:
    """With max_epochs set, estimated_stepping_batches sets up the data before the restore."""
    uninterrupted = _fit(tmp_path / "whole", data=TableData, max_epochs=1)
    with pytest.raises(SystemExit):
        _fit(tmp_path / "killed", kill_at=13, data=TableData, max_epochs=1)
    assert torch.equal(_fit(tmp_path / "killed", data=TableData, max_epochs=1), uninterrupted)


@pytest.mark.parametrize(
    ("workers", "extra"),
    [(1, {}), (2, {}), (2, {"max_epochs": 1})],  # max_epochs: Lightning skips the loader's state
)
def test_a_stream_read_by_workers_resumes_bitwise(tmp_path: Path, workers: int, extra) -> None:
    """Killed after checkpoints at steps 5 and 10, when either of two workers has the next turn."""
    uninterrupted = _fit(tmp_path / "whole", data=lambda: LineData(workers), **extra)
    for kill_at in (7, 13):
        folder = tmp_path / f"killed-{kill_at}"
        with pytest.raises(SystemExit):
            _fit(folder, kill_at=kill_at, data=lambda: LineData(workers), **extra)
        resumed = _fit(folder, data=lambda: LineData(workers), **extra)
        assert torch.equal(resumed, uninterrupted), kill_at


def test_the_workers_streams_differ_so_their_order_matters(tmp_path: Path) -> None:
    one = _fit(tmp_path / "one", data=lambda: LineData(1))
    assert not torch.equal(one, _fit(tmp_path / "two", data=lambda: LineData(2)))


def test_a_stream_given_to_fit_directly_with_workers_warns_that_it_restarts(tmp_path):
    config = {"max_steps": 2, "progress": "none"}
    trainer = build_trainer(config)
    loader = DataLoader(NoisyLine(), batch_size=None, num_workers=1)
    with pytest.warns(UserWarning, match="restarts on resume; return it from train_dataloader"):
        trainer.fit(DropoutLine(), train_dataloaders=loader)


def test_a_stream_resumed_with_another_number_of_workers_restarts_with_a_warning() -> None:
    loader = WorkerStreamLoader(NoisyLine(), batch_size=None, num_workers=1)
    with pytest.warns(
        UserWarning, match="read by 2 DataLoader workers resumes with 1: it restarts"
    ):
        loader.load_state_dict({"num_workers": 2, "loader": {"_snapshot": {}}})
    assert loader.state_dict() == {"num_workers": 1, "loader": {}}
