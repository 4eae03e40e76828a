import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from mlflow_fixtures import free_port

from polymath.foundation import metrics as metrics_module
from polymath.foundation.metrics import NormalizedRMSE, normalized_rmse


def reference_nrmse(pred: np.ndarray, target: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    """Per (sample, field) ||err|| / ||target|| written out with numpy loops, shape (B, F)."""
    batch, fields = pred.shape[:2]
    out = np.zeros((batch, fields))
    for b in range(batch):
        for f in range(fields):
            err = pred[b, f].astype(np.float64) - target[b, f]
            size = err.size
            out[b, f] = np.sqrt((np.sum(err**2) / size) / (np.sum(target[b, f] ** 2) / size + eps))
    return out


@pytest.fixture
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    target = (
        torch.randn(6, 3, 8, 5, generator=generator) * torch.tensor([1.0, 10.0, 0.1])[:, None, None]
    )
    pred = target + 0.1 * torch.randn(6, 3, 8, 5, generator=generator)
    return pred, target


def test_matches_the_ratio_of_l2_norms(pair) -> None:
    pred, target = pair
    p, t = pred.numpy().astype(np.float64), target.numpy().astype(np.float64)
    norms = np.linalg.norm((p - t).reshape(6, 3, -1), axis=-1) / np.linalg.norm(
        t.reshape(6, 3, -1), axis=-1
    )
    got = normalized_rmse(pred, target, eps=0.0, per_field=True)
    np.testing.assert_allclose(got.numpy(), norms.mean(0), rtol=1e-5)
    assert normalized_rmse(pred, target, eps=0.0).item() == pytest.approx(norms.mean(), rel=1e-5)


def test_default_eps_follows_mpp(pair) -> None:
    pred, target = pair
    expected = reference_nrmse(pred.numpy(), target.numpy())
    assert normalized_rmse(pred, target).item() == pytest.approx(expected.mean(), rel=1e-5)
    zero = torch.zeros(2, 1, 4, 4)
    assert torch.isfinite(normalized_rmse(zero + 1e-3, zero))


def test_dims_outside_spatial_dims_are_averaged_after_the_ratio() -> None:
    generator = torch.Generator().manual_seed(1)
    target = torch.randn(2, 3, 4, 6, 6, generator=generator)
    pred = (
        target
        + torch.randn(2, 3, 4, 6, 6, generator=generator) * torch.linspace(0.1, 1, 4)[:, None, None]
    )
    per_time = np.stack(
        [reference_nrmse(pred[:, :, t].numpy(), target[:, :, t].numpy()) for t in range(4)], -1
    )
    got = normalized_rmse(pred, target, spatial_dims=(-2, -1), per_field=True)
    np.testing.assert_allclose(got.numpy(), per_time.mean(-1).mean(0), rtol=1e-5)


def test_metric_accumulates_uneven_batches(pair) -> None:
    pred, target = pair
    metric = NormalizedRMSE()
    per_field = NormalizedRMSE(num_fields=3, per_field=True)
    for chunk in ((0, 1), (1, 4), (4, 6)):
        metric.update(pred[slice(*chunk)], target[slice(*chunk)])
        per_field.update(pred[slice(*chunk)], target[slice(*chunk)])
    expected = reference_nrmse(pred.numpy(), target.numpy())
    assert metric.compute().item() == pytest.approx(expected.mean(), rel=1e-5)
    np.testing.assert_allclose(per_field.compute().numpy(), expected.mean(0), rtol=1e-5)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="shape"):
        normalized_rmse(torch.zeros(2, 3, 4), torch.zeros(2, 3, 5))
    with pytest.raises(ValueError, match=r"\(batch, fields, \*spatial\)"):
        normalized_rmse(torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="spatial_dims"):
        normalized_rmse(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4), spatial_dims=(1,))
    with pytest.raises(ValueError, match="num_fields"):
        NormalizedRMSE(per_field=True)
    with pytest.raises(ValueError, match="expected 2"):
        NormalizedRMSE(num_fields=2).update(torch.zeros(1, 3, 4), torch.ones(1, 3, 4))


DDP_WORKER = textwrap.dedent(
    """
    import importlib.util, sys, torch, torch.distributed as dist
    # metrics.py alone: importing the whole foundation package would cost seconds per process
    spec = importlib.util.spec_from_file_location("nrmse_metrics", sys.argv[3])
    metrics = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(metrics)
    NormalizedRMSE = metrics.NormalizedRMSE
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    pred, target = torch.load(sys.argv[1])
    metric = NormalizedRMSE(num_fields=3, per_field=True)
    rows = slice(0, 1) if rank == 0 else slice(1, 6)
    metric.update(pred[rows], target[rows])
    torch.save(metric.compute(), sys.argv[2] + f"/rank{rank}.pt")
    dist.destroy_process_group()
    """
)


def test_metric_states_reduce_across_ranks(pair) -> None:
    """The fast version of the two-process test below: torchmetrics' sync with a stand-in gather
    that hands each state of rank 0 over together with rank 1's (1 and 5 samples: a mean of the
    two ranks' values would be wrong)."""
    pred, target = pair
    other = NormalizedRMSE(num_fields=3, per_field=True)
    other.update(pred[1:], target[1:])
    states = iter([getattr(other, name) for name in other._reductions])
    metric = NormalizedRMSE(
        num_fields=3,
        per_field=True,
        dist_sync_fn=lambda state, group=None: [state, next(states)],
        distributed_available_fn=lambda: True,
    )
    metric.update(pred[:1], target[:1])
    expected = reference_nrmse(pred.numpy(), target.numpy()).mean(0)
    np.testing.assert_allclose(metric.compute(), expected, rtol=1e-5)


@pytest.mark.slow
def test_metric_syncs_across_two_processes(pair, tmp_path: Path) -> None:
    pred, target = pair
    torch.save((pred, target), tmp_path / "pair.pt")
    script = tmp_path / "worker.py"
    script.write_text(DDP_WORKER)
    port = str(free_port())
    source = metrics_module.__file__
    workers = []
    for rank in range(2):
        env = os.environ | {
            "RANK": str(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port,
        }  # fmt: skip
        command = [sys.executable, str(script), str(tmp_path / "pair.pt"), str(tmp_path), source]
        workers.append(subprocess.Popen(command, env=env))
    try:
        assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    finally:
        for worker in workers:
            worker.kill()
    expected = reference_nrmse(pred.numpy(), target.numpy()).mean(0)
    for rank in range(2):
        np.testing.assert_allclose(torch.load(tmp_path / f"rank{rank}.pt"), expected, rtol=1e-5)
