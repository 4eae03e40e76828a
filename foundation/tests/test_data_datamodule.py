from types import SimpleNamespace

import lightning
import pytest
import torch
from data_helpers import vector_samples, write_vector_shards

from polymath.foundation.data import ShardDataModule, write_shards


@pytest.fixture
def shards(tmp_path):
    write_vector_shards(tmp_path / "train", count=16, per_shard=4)
    write_vector_shards(tmp_path / "val", count=6, per_shard=3)
    return tmp_path


def on_ranks(datamodule, world_size, rank=0):
    datamodule.trainer = SimpleNamespace(global_rank=rank, world_size=world_size)
    return datamodule


def test_batches_have_the_right_shape_and_length(shards):
    datamodule = ShardDataModule(shards / "train", shards / "val", batch_size=4, num_workers=2)
    loader = datamodule.train_dataloader()
    batches = list(loader)
    assert len(batches) == len(loader) == 4
    assert all(b["x"].shape == (4, 4) and b["label"].shape == (4,) for b in batches)
    assert sorted(torch.cat([b["label"] for b in batches]).tolist()) == list(range(16))
    val = [b["label"].tolist() for b in datamodule.val_dataloader()]
    assert val == [[0, 1, 2], [3, 4, 5]]  # one shard per worker, read in order
    assert datamodule.test_dataloader is None


def test_too_many_readers_fail_before_iteration(shards):
    datamodule = on_ranks(ShardDataModule(shards / "train", num_workers=2), world_size=4)
    with pytest.raises(ValueError, match=r"4 shards cannot feed 4 ranks x 2 workers = 8 readers"):
        datamodule.train_dataloader()


def test_uneven_ranks_fail_before_iteration(tmp_path):
    write_shards(vector_samples(18), tmp_path, max_count=4)
    datamodule = on_ranks(ShardDataModule(tmp_path, batch_size=4), world_size=2)
    with pytest.raises(
        ValueError,
        match=r"5 shards over 2 ranks x 1 workers give the ranks \[3, 2\] training batches",
    ):
        datamodule.train_dataloader()


def test_resampled_mode_lifts_the_shard_limit(shards):
    datamodule = ShardDataModule(
        shards / "train", batch_size=4, num_workers=2, resampled=True, epoch_length=10
    )
    loader = on_ranks(datamodule, world_size=4, rank=3).train_dataloader()
    sizes = [len(batch["label"]) for batch in loader]
    assert sum(sizes) == 10 and len(sizes) == len(loader) == 4  # 5 + 5 per worker: 4, 1, 4, 1


class TinyRegression(lightning.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch, _):
        return torch.nn.functional.mse_loss(
            self.layer(batch["x"]).squeeze(-1), batch["label"].float()
        )

    def validation_step(self, batch, _):
        self.log(
            "val_loss",
            torch.nn.functional.mse_loss(
                self.layer(batch["x"]).squeeze(-1), batch["label"].float()
            ),
        )

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=1e-3)


def test_lightning_fits_with_the_datamodule(shards):
    datamodule = ShardDataModule(shards / "train", shards / "val", batch_size=4, num_workers=2)
    trainer = lightning.Trainer(
        max_epochs=2,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(TinyRegression(), datamodule=datamodule)
    assert trainer.num_training_batches == 4
    assert trainer.global_step == 8
    assert "val_loss" in trainer.callback_metrics
    assert datamodule.hparams.train == str(shards / "train")
