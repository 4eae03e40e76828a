from types import SimpleNamespace

import pytest
import torch

from polymath.foundation import TrainerConfig
from polymath.xval.experiments import fit_one

MULTIPLICATION = {"task": "arithmetic", "ood_band": [40, 60], "target_mask_prob": 1.0}


def test_a_row_of_the_comparison_does_not_depend_on_the_fits_before_it(in_tmp):
    ctx = SimpleNamespace(
        config={
            "data": {"n_train": 32, "n_val": 0, "n_test": 8, "n_ood": 8, "batch_size": 8},
            "model": {"d_model": 16, "n_heads": 2, "n_layers": 1, "context": 32, "lr": 3e-3},
        },
        trainer_config=TrainerConfig(max_steps=3, progress="none", threads=1, seed=5),
    )
    first, module, _ = fit_one(ctx, MULTIPLICATION, "p1000")
    weights = [p.detach().clone() for p in module.model.parameters()]
    torch.rand(1000)  # what an earlier fit does to the global generator
    again, module, _ = fit_one(ctx, MULTIPLICATION, "p1000")
    for a, b in zip(weights, module.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for metric in ("mse", "invalid", "ood_mse", "ood_invalid"):
        assert again[metric] == pytest.approx(first[metric], nan_ok=True)
    ctx.trainer_config = ctx.trainer_config.replace(seed=6)
    _, other, _ = fit_one(ctx, MULTIPLICATION, "p1000")
    assert not torch.equal(weights[0], other.model.token_embedding.weight)
