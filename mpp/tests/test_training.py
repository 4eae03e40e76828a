"""The sampler, the module's loss, metrics and schedule, and rollout."""

import itertools

import lightning as L
import numpy as np
import pytest
import torch

from polymath.foundation.schedules import warmup_cosine_factor as warmup_cosine
from polymath.mpp.data.datamodule import MPPDataModule
from polymath.mpp.data.sampler import MixedBatchStream
from polymath.mpp.data.windows import WindowDataset
from polymath.mpp.fields import get_dataset
from polymath.mpp.losses import normalized_mse
from polymath.mpp.model import AViT
from polymath.mpp.module import MPPModule
from polymath.mpp.rollout import rollout, rollout_nrmse

TINY = {"size": None, "embed_dim": 32, "num_heads": 2, "depth": 1, "drop_path": 0.0}


class Tagged(torch.utils.data.Dataset):
    """Items that say which dataset and index they are."""

    def __init__(self, tag: int, length: int) -> None:
        self.tag, self.length = tag, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict:
        return {"dataset": self.tag, "index": index}


def test_every_micro_batch_comes_from_one_dataset_drawn_uniformly():
    stream = MixedBatchStream(
        [Tagged(0, 500), Tagged(1, 50), Tagged(2, 20)], batch_size=4, batches_per_epoch=600
    )
    batches = list(stream)
    assert len(batches) == 600
    tags = [set(batch["dataset"].tolist()) for batch in batches]
    assert all(len(tag) == 1 for tag in tags)
    counts = np.bincount([tag.pop() for tag in tags], minlength=3)
    assert counts.min() > 150  # uniform over datasets, not by size (500:50:20)
    by_size = MixedBatchStream([Tagged(0, 500), Tagged(1, 50)], 4, 600, sampling="size")
    assert sum(int(b["dataset"][0]) == 0 for b in by_size) > 480
    assert [b["index"].tolist() for b in stream][:3] != [b["index"].tolist() for b in batches][
        :3
    ]  # new epoch


def test_ranks_get_disjoint_data_and_equal_batch_counts():
    datasets = [Tagged(0, 41), Tagged(1, 17)]
    ranks = [
        MixedBatchStream(datasets, 3, 5, rank=r, world_size=2).batch_indices(0) for r in (0, 1)
    ]
    assert len(ranks[0]) == len(ranks[1]) == 5
    assert [d for d, _ in ranks[0]] == [d for d, _ in ranks[1]]  # same dataset at every step
    for dataset in (0, 1):
        seen = [{i for d, idx in batches if d == dataset for i in idx} for batches in ranks]
        assert not seen[0] & seen[1]


def test_workers_see_the_same_sequence_as_one_process():
    datasets = [Tagged(0, 30), Tagged(1, 30)]
    one = [b["index"].tolist() for b in MixedBatchStream(datasets, 2, 8)]
    loader = torch.utils.data.DataLoader(
        MixedBatchStream(datasets, 2, 8), batch_size=None, num_workers=2
    )
    assert [b["index"].tolist() for b in loader] == one


def test_normalized_mse_weighs_every_field_equally():
    target = torch.stack([torch.ones(2, 8, 8), 0.1 * torch.ones(2, 8, 8)], dim=1)
    assert normalized_mse(1.1 * target, target).item() == pytest.approx(0.01, rel=1e-4)


def test_schedule_warms_up_then_decays_to_the_floor():
    values = [warmup_cosine(s, 10, 100, 0.01) for s in range(101)]
    assert values[0] == pytest.approx(0.1) and values[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(values[10:]))
    assert values[100] == pytest.approx(0.01)


def test_rollout_equals_repeated_one_step_calls():
    torch.manual_seed(0)
    model = AViT(**TINY).eval()
    history, fields, bcs = torch.randn(2, 3, 2, 32, 32), torch.tensor([4, 5]), torch.zeros(2, 2)
    predicted = rollout(model, history, fields, bcs, steps=3)
    window = history
    for step in range(3):
        frame = model(window, fields, bcs)
        torch.testing.assert_close(predicted[:, step], frame)
        window = torch.cat([window[:, 1:], frame[:, None]], dim=1)


def test_rollout_error_per_step_and_too_long_rollouts(simulated_root):
    model = AViT(**TINY).eval()
    dataset = WindowDataset(get_dataset("swe"), simulated_root, history=3, split="train")
    model_error, persistence = rollout_nrmse(model, dataset, steps=4, max_trajectories=3)
    assert model_error.shape == persistence.shape == (4, 1)
    assert torch.all(
        persistence[1:] >= persistence[:1]
    )  # the truth drifts away from the last frame
    with pytest.raises(ValueError, match="needs 13"):
        rollout_nrmse(model, dataset, steps=10)


def test_module_trains_and_reports_every_dataset_and_field(simulated_root):
    datamodule = MPPDataModule(
        datasets=["swe", "cns_m0.1", "advdiff"],
        root=str(simulated_root),
        history=3,
        batch_size=4,
        batches_per_epoch=6,
    )
    module = MPPModule(**TINY, n_states=10, lr=3e-3, warmup_steps=2)
    trainer = L.Trainer(
        max_steps=6,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=2,
    )
    trainer.fit(module, datamodule=datamodule)
    assert module.model.n_states == 11  # grown for advdiff's new field, before the optimizer
    trained = {id(p) for group in trainer.optimizers[0].param_groups for p in group["params"]}
    assert id(module.model.field_embedding.weight) in trained
    metrics = trainer.callback_metrics
    for key in (
        "val/nrmse",
        "val/nrmse/swe/h",
        "val/nrmse/cns_m0.1/pressure",
        "val/nrmse/advdiff/concentration",
        "val/persistence/cns_m0.1",
    ):
        assert torch.isfinite(metrics[key]), key
