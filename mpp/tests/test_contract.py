"""The package contract: registration, recipes that build, smoke through the CLI, the experiments."""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
import torch

from polymath.foundation import TrainerConfig, get_package, run_recipe
from polymath.mpp.checkpoint import to_reference_state_dict
from polymath.mpp.data.datamodule import MPPDataModule
from polymath.mpp.experiments import seeded_module
from polymath.mpp.model import AViT
from polymath.mpp.module import MPPModule
from polymath.mpp.package import PACKAGE

TINY = [
    "model.embed_dim=32",
    "model.num_heads=2",
    "model.depth=1",
    "model.warmup_steps=1",
    "data.trajectories=10",
    "data.frames=8",
    "data.history=3",
    "data.batch_size=2",
    "data.batches_per_epoch=2",
    "trainer.limit_val_batches=1",
    "trainer.threads=1",
]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_package_is_registered_with_its_recipes():
    package = get_package("mpp")
    assert package is PACKAGE
    assert {"smoke", "quick", "paper", "transfer", "single-vs-multi"} <= set(package.recipe_names)


@pytest.mark.parametrize("name", PACKAGE.recipe_names)
def test_every_recipe_builds_its_module_and_datamodule(name):
    config = PACKAGE.recipe(name).config
    MPPDataModule(**config["data"])  # simulates nothing until prepare_data
    model = dict(config["model"])
    if model.get("size") == "B":
        model["size"] = "Ti"  # the paper's sizes build the same way; keep the test light
    MPPModule(**model)


@pytest.mark.timeout(900)  # a subprocess: seconds on an idle machine, minutes on a loaded one
def test_smoke_runs_through_the_cli(in_tmp):
    result = subprocess.run(
        [sys.executable, "-m", "polymath.foundation.cli", "run", "mpp", "smoke"],
        capture_output=True,
        text=True,
        timeout=840,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "POLYMATH_CACHE": str(in_tmp)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = {p.name for p in Path(in_tmp).glob("mlartifacts/*/*/artifacts/figures/*")}
    assert {
        "prediction_swe.png",
        "nrmse_bars.png",
        "rollout_nrmse.png",
        "rollout.gif",
    } <= figures


@pytest.mark.timeout(900)  # several fits: under a minute on an idle machine
def test_single_vs_multi_experiment(in_tmp):
    overrides = [*TINY, "data.datasets=[swe, cns_m0.1]", "experiment.steps=2"]
    result = run_recipe(
        "mpp", "single-vs-multi", overrides, tracking_uri=f"sqlite:///{in_tmp}/mlflow.db"
    )
    assert {"multi/swe", "multi_matched/swe", "single/swe", "persistence/cns_m0.1"} <= set(
        result.metrics
    )


def test_experiment_models_start_from_the_same_weights():
    ctx = SimpleNamespace(
        trainer_config=TrainerConfig(seed=3),
        config={"model": {"size": None, "embed_dim": 32, "num_heads": 2, "depth": 1}},
    )
    first = seeded_module(ctx).model.state_dict()
    torch.randn(100)  # whatever ran in between
    second = seeded_module(ctx).model.state_dict()
    assert all(torch.equal(first[key], second[key]) for key in first)


@pytest.mark.timeout(900)
def test_transfer_experiment_appends_the_new_field(in_tmp):
    overrides = [
        *TINY,
        "data.datasets=[swe]",
        "experiment.sizes=[2]",
        "experiment.pretrain_steps=2",
        "experiment.finetune_steps=2",
        "experiment.rollout_steps=2",
    ]
    result = run_recipe("mpp", "transfer", overrides, tracking_uri=f"sqlite:///{in_tmp}/mlflow.db")
    assert {"finetuned/2/one_step", "scratch/2/rollout", "pretrain/test_nrmse"} <= set(
        result.metrics
    )
    assert (result.workdir / "pretrained.pt").is_file()


def _write_bad_inputs(folder: Path) -> dict[str, str]:
    """Files a user might point the CLI at by mistake; returns override -> expected message."""
    other = AViT(size=None, embed_dim=64, num_heads=2, depth=1)
    torch.save({"model_state": to_reference_state_dict(other)}, folder / "MPP_AViT_other.tar")
    (folder / "pdebench").mkdir()
    with h5py.File(folder / "pdebench" / "2D_rdb_NA_NA.h5", "w") as file:
        file.create_dataset("tensor", data=np.zeros((2, 3)))
    return {
        "data.history=8": "has 8 frames per trajectory, too few for 8 history frames plus a target",
        "data.datasets=[swe, ocean]": "unknown dataset 'ocean'",
        f"model.reference_checkpoint={folder / 'MPP_AViT_other.tar'}": (
            "is embed_dim 64 with 1 blocks, but the model asks for embed_dim 32 with 1 blocks"
        ),
        f"data.root={folder / 'pdebench'}": "unknown layout (top level holds tensor)",
    }


def test_bad_input_is_one_line_from_the_cli(in_tmp, capsys):
    from polymath.foundation.cli import main

    for override, message in _write_bad_inputs(in_tmp).items():
        uri = f"sqlite:///{in_tmp}/mlflow.db"
        assert main(["run", "mpp", "smoke", override, "--tracking-uri", uri]) == 1, override
        errors = [
            line
            for line in capsys.readouterr().err.splitlines()
            if line.startswith("polymath: error:")
        ]
        assert len(errors) == 1 and message in errors[0], (override, errors)
