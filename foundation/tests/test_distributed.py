"""Distributed training on CPU with two processes, each run in its own session with a hard kill.

The default suite keeps one two-process fit (DDP, one tracked run) and an in-process FSDP2 check;
the FSDP fit and `polymath run` under DDP, which start two more process pairs, are slow tests.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
import torch.distributed as dist
from mlflow import MlflowClient
from torch import nn
from torch.distributed.device_mesh import init_device_mesh

from polymath.foundation.data import write_shards
from polymath.foundation.sharding import FSDP2Mixin

SCRIPTS = Path(__file__).parent / "scripts"
HARD_TIMEOUT = 240


def run_two_processes(
    script: str, *args: str, cwd: Path, env: dict | None = None, returncode: int = 0
) -> str:
    """Runs a script path (or ``-m`` a module name) and kills its whole group if it hangs."""
    command = [sys.executable, *([script] if script.endswith(".py") else ["-m", script]), *args]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = process.communicate(timeout=HARD_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # SIGTERM does not stop a hung DDP group
        output, _ = process.communicate()
        raise AssertionError(f"{script} hung and was killed:\n{output[-3000:]}") from None
    assert process.returncode == returncode, output[-3000:]
    return output


def test_ddp_ranks_stream_disjoint_shards_and_log_one_run(tmp_path, mlflow_uri):
    samples = (
        {"x": np.full(4, i, dtype=np.float32), "y": float(i % 3), "index": i} for i in range(64)
    )
    write_shards(samples, tmp_path / "shards", max_count=16)
    run_two_processes(
        str(SCRIPTS / "ddp_fit.py"),
        str(tmp_path / "shards"),
        str(tmp_path),
        mlflow_uri,
        cwd=tmp_path,
    )

    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    seen = [set(rank["seen"]) for rank in ranks]
    assert seen[0] and seen[1]
    assert not seen[0] & seen[1]
    assert seen[0] | seen[1] == set(range(64))
    assert ranks[0]["run_id"] == ranks[1]["run_id"]

    client = MlflowClient(mlflow_uri)
    experiment = client.get_experiment_by_name("ddp-test")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1 and runs[0].info.run_id == ranks[0]["run_id"]
    assert "train/mse" in runs[0].data.metrics


class Sharded(FSDP2Mixin, L.LightningModule):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.head = nn.Linear(32, 1)


def test_fsdp2_mixin_shards_every_parameter_and_still_trains():
    """The fast version of the two-process FSDP fit below: the mixin's sharding on a mesh of one
    process, in this process (a process group of its own, destroyed after)."""
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        module = Sharded()
        module._device_mesh = init_device_mesh("cpu", (1,), mesh_dim_names=("data_parallel",))
        module.configure_model()
        assert {type(p).__name__ for p in module.parameters()} == {"DTensor"}
        x = torch.randn(16, 8, generator=torch.Generator().manual_seed(0))
        optimizer = torch.optim.Adam(module.parameters(), lr=1e-2)
        losses = []
        for _ in range(20):
            loss = (module.head(module.encoder(x)).squeeze(-1) - x.sum(-1)).square().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        assert losses[-1] < losses[0] / 2
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_fsdp_strategy_shards_parameters_on_cpu(tmp_path):
    run_two_processes(str(SCRIPTS / "fsdp_fit.py"), str(tmp_path), cwd=tmp_path)
    for rank in (0, 1):
        result = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert result["strategy"] == "ModelParallelStrategy"
        assert result["kinds"] == ["DTensor"]
        assert np.mean(result["losses"][-5:]) < np.mean(result["losses"][:5])


@pytest.mark.slow
def test_polymath_run_under_ddp_makes_one_tracked_run(tmp_path, mlflow_uri, example_site):
    env = {**os.environ, "PYTHONPATH": str(example_site)}
    output = run_two_processes(
        "polymath.foundation.cli",
        "run",
        "example",
        "smoke",
        "trainer.strategy=ddp",
        "trainer.devices=2",
        "trainer.accelerator=cpu",
        "--tracking-uri",
        mlflow_uri,
        cwd=tmp_path,
        env=env,
    )
    assert output.count("run id:") == 1
    client = MlflowClient(mlflow_uri)
    runs = client.search_runs([client.get_experiment_by_name("example").experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    assert runs[0].data.tags["hardware.world_size"] == "2"
    assert len(list((tmp_path / "polymath_runs" / "example" / "smoke").iterdir())) == 1


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["train", "validate", "test", "report"])
def test_sigterm_after_the_fit_under_ddp_ends_the_run_killed(
    phase, tmp_path, mlflow_uri, example_site
):
    """SIGTERM to rank 0 after its last test batch (inside Lightning's handler, which passed a
    collective to rank 1 that was not there: exit 1 and a gloo traceback) or in the report."""
    env = {**os.environ, "PYTHONPATH": str(example_site)}
    output = run_two_processes(
        str(SCRIPTS / "ddp_sigterm.py"),
        phase,
        "--tracking-uri",
        mlflow_uri,
        cwd=tmp_path,
        env=env,
        returncode=143,
    )
    assert "Traceback" not in output
    (line,) = [line for line in output.splitlines() if "SIGTERM" in line]
    assert line.endswith("trainer.resume=auto")
    client = MlflowClient(mlflow_uri)
    (run,) = client.search_runs([client.get_experiment_by_name("example").experiment_id])
    assert run.info.status == "KILLED"
