"""A shard stream stopped mid-epoch and restored from its state yields exactly the batches of an
uninterrupted one: directly through ShardLoader, and through a Lightning checkpoint."""

import contextlib
import multiprocessing
from types import SimpleNamespace

import lightning
import pytest
import torch
from data_helpers import vector_samples

import polymath.foundation
from polymath.foundation.data import ShardDataModule, write_shards
from polymath.foundation.data.resume import round_robin

EPOCHS = 2


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """8 shards of 40 and one of 30: with 2 workers, 190 and 160 samples, so 24 batches of 8
    (the last one of 6) and 20 batches: the second worker runs out first."""
    folder = tmp_path_factory.mktemp("shards")
    write_shards(vector_samples(350), folder, max_count=40)
    return folder


OPENED = []


@pytest.fixture(autouse=True)
def close_loaders():
    """Each test's loaders stop their workers when it ends, as Lightning's fit loop does (left to
    the garbage collector, persistent workers cost 5 s each: see ShardLoader)."""
    yield
    while OPENED:
        OPENED.pop().close()


def loader(source, workers, rank=None, **kwargs):
    datamodule = ShardDataModule(
        source, batch_size=8, num_workers=workers, shuffle=150, seed=3, **kwargs
    )
    if rank is not None:  # as the trainer of a 2-process DDP run would place it
        datamodule.trainer = SimpleNamespace(global_rank=rank, world_size=2)
    OPENED.append(datamodule.train_dataloader())
    return OPENED[-1]


def labels(batch):
    return batch["label"].tolist()


def interrupted_run(source, workers, stop, rank=None, **kwargs):
    """Batches of EPOCHS epochs when the loader is dropped after `stop` batches and a new one
    resumes from its state."""
    first, seen = loader(source, workers, rank, **kwargs), []
    for _ in range(EPOCHS):
        for batch in first:
            seen.append(labels(batch))
            if len(seen) == stop:
                break
        if len(seen) == stop:
            break
    state = first.state_dict()
    second = loader(source, workers, rank, **kwargs)
    second.load_state_dict(state)
    for _ in range(EPOCHS - second.state_dict()["epoch"]):
        seen.extend(labels(batch) for batch in second)
    return seen


@pytest.mark.parametrize(
    ("workers", "persistent", "stops"),
    [
        (0, False, (1, 13, 43, 44, 64)),
        (2, True, (1, 39, 41, 44, 64)),  # worker 1 runs out after batch 40
        (2, False, (43,)),
    ],
)
def test_resumed_loader_yields_the_uninterrupted_batches(shards, workers, persistent, stops):
    whole = loader(shards, workers, persistent_workers=persistent)
    reference = [labels(batch) for _ in range(EPOCHS) for batch in whole]
    per_epoch = len(whole)
    assert per_epoch == 44 and len(reference) == EPOCHS * per_epoch
    assert reference[:per_epoch] != reference[per_epoch:]
    for stop in stops:
        resumed = interrupted_run(shards, workers, stop, persistent_workers=persistent)
        assert resumed == reference, stop


def test_resampled_streams_resume_exactly(shards):
    options = {"resampled": True, "epoch_length": 100}
    whole = loader(shards, 2, **options)
    reference = [labels(batch) for _ in range(EPOCHS) for batch in whole]
    assert len(whole) == 14  # 50 samples per worker: 7 batches each
    for stop in (5, 17):
        assert interrupted_run(shards, 2, stop, **options) == reference, stop


def test_each_rank_resumes_its_own_stream(tmp_path):
    write_shards(vector_samples(320), tmp_path, max_count=40)  # 4 shards per rank
    for rank in (0, 1):
        whole = loader(tmp_path, 0, rank)
        reference = [labels(batch) for _ in range(EPOCHS) for batch in whole]
        assert len(whole) == 20
        assert interrupted_run(tmp_path, 0, 27, rank) == reference, rank


def test_a_chunked_set_resumes_exactly(tmp_path):
    write_shards(vector_samples(350), tmp_path, max_count=40, chunk_size=16)
    whole = loader(tmp_path, 2)
    reference = [labels(batch) for _ in range(EPOCHS) for batch in whole]
    for stop in (13, 50):
        assert interrupted_run(tmp_path, 2, stop) == reference, stop


def test_the_loader_takes_batches_from_workers_in_turn():
    assert round_robin(0, [5, 2, 4]) == ([0, 0, 0], 0)
    assert round_robin(7, [5, 2, 4]) == ([3, 2, 2], 2)  # order 0 1 2 0 1 2 0 | 2 0 2 0
    assert round_robin(8, [5, 2, 4]) == ([3, 2, 3], 0)
    assert round_robin(9, [5, 2, 4]) == ([4, 2, 3], 2)
    assert round_robin(99, [5, 2, 4]) == ([5, 2, 4], 0)


def test_an_iteration_that_gave_nothing_does_not_count_as_an_epoch(shards):
    reference = [labels(batch) for batch in loader(shards, 0)]
    again = loader(shards, 0)
    iter(again)  # Lightning may create an iterator, then another before the first batch
    assert [labels(batch) for batch in again] == reference


def test_a_state_for_other_settings_is_named(shards):
    first = loader(shards, 0)
    next(iter(first))
    second = loader(shards, 2)
    with pytest.warns(UserWarning, match="num_workers 0 -> 2"):
        second.load_state_dict(first.state_dict())


@pytest.mark.parametrize("persistent", [False, True])
def test_workers_stop_when_an_iteration_is_dropped_or_the_loader_closed(shards, persistent):
    """Not at the garbage collector's next pass (the datamodule is in a reference cycle)."""
    shard_loader = loader(shards, 2, persistent_workers=persistent)
    batches = iter(shard_loader)
    next(batches)
    assert len(multiprocessing.active_children()) == 2
    del batches
    if persistent:  # the loader keeps them for its next iteration
        assert len(multiprocessing.active_children()) == 2
        shard_loader.close()
    assert multiprocessing.active_children() == []


class Killed(Exception):
    pass


class Recorder(lightning.LightningModule):
    """Trains a linear layer, records the labels of every training batch, dies at `kill_at`."""

    def __init__(self, kill_at=None):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.seen: list[list[int]] = []
        self.kill_at = kill_at

    def training_step(self, batch, _):
        if len(self.seen) == self.kill_at:
            raise Killed
        self.seen.append(labels(batch))
        return self.layer(batch["x"]).pow(2).mean()

    def configure_optimizers(self):
        """Reading estimated_stepping_batches builds the loader before a checkpoint's loop
        states are restored (Lightning issue #20550)."""
        optimizer = torch.optim.SGD(self.parameters(), lr=1e-3)
        steps = self.trainer.estimated_stepping_batches
        schedule = torch.optim.lr_scheduler.LinearLR(optimizer, 1.0, 0.5, total_iters=steps)
        return [optimizer], [schedule]


def fit(shards, folder, ckpt_path=None, kill_at=None):
    trainer = lightning.Trainer(
        max_epochs=2,
        accelerator="cpu",
        logger=False,
        callbacks=[
            lightning.pytorch.callbacks.ModelCheckpoint(
                folder, every_n_train_steps=50, save_top_k=-1
            )
        ],
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    module = Recorder(kill_at)
    datamodule = ShardDataModule(shards, batch_size=8, num_workers=2, shuffle=150, seed=3)
    with contextlib.suppress(Killed):
        trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path)
    return module.seen


def test_lightning_resumes_the_stream_from_a_mid_epoch_checkpoint(shards, tmp_path):
    reference = fit(shards, tmp_path / "a")  # 44 batches per epoch
    before = fit(shards, tmp_path / "b", kill_at=53)
    after = fit(shards, tmp_path / "c", ckpt_path=tmp_path / "b" / "epoch=1-step=50.ckpt")
    assert len(reference) == 88 and before == reference[:53] and after == reference[50:]


class ScaledRecorder(Recorder):
    """Inputs scaled to [0, 1], so that foundation's non-finite loss guard stays quiet."""

    def training_step(self, batch, _):
        self.seen.append(labels(batch))
        return self.layer(batch["x"] / 350).pow(2).mean()


class InterruptAt(lightning.Callback):
    def __init__(self, step):
        self.step = step

    def on_train_batch_end(self, trainer, *args):
        if trainer.global_step == self.step:
            raise KeyboardInterrupt  # as Ctrl-C would, after the checkpoint of step 20


def polymath_fit(shards, folder, interrupt_at=None):
    """foundation's own fit (ExactResume, resume=auto) of 2 epochs over 2 shard workers."""
    config = {
        "max_epochs": 2,
        "checkpoint_dir": str(folder),
        "checkpoint_every_n_steps": 20,
        "resume": "auto",
        "progress": "none",
    }
    callbacks = [InterruptAt(interrupt_at)] if interrupt_at else []
    module = ScaledRecorder()
    datamodule = ShardDataModule(shards, batch_size=8, num_workers=2, shuffle=150, seed=3)
    polymath.foundation.fit(
        polymath.foundation.build_trainer(config, callbacks=callbacks), module, datamodule, config
    )
    return module.seen


def test_a_fit_by_foundation_resumes_a_stream_read_by_two_workers_exactly(shards, tmp_path):
    reference = polymath_fit(shards, tmp_path / "whole")
    with pytest.raises(SystemExit):  # Lightning turns the interrupt into exit(1)
        polymath_fit(shards, tmp_path / "cut", interrupt_at=63)
    resumed = polymath_fit(shards, tmp_path / "cut")
    assert len(reference) == 88 and resumed == reference[60:]
