"""The package contract: registration, recipes that build, smoke through the CLI, the experiments."""

import subprocess
import sys
from pathlib import Path

import pytest

from polymath.foundation import get_package, run_recipe
from polymath.mpp.data.datamodule import MPPDataModule
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
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = {p.name for p in Path(in_tmp).glob("mlartifacts/*/*/artifacts/figures/*")}
    assert {
        "prediction_swe.png",
        "nrmse_bars.png",
        "rollout_nrmse.png",
        "rollout_swe.gif",
    } <= figures


@pytest.mark.timeout(900)  # several fits: under a minute on an idle machine
def test_single_vs_multi_experiment(in_tmp):
    overrides = [*TINY, "data.datasets=[swe, cns_m0.1]", "experiment.steps=2"]
    result = run_recipe(
        "mpp", "single-vs-multi", overrides, tracking_uri=f"sqlite:///{in_tmp}/mlflow.db"
    )
    assert {"multi/swe", "single/swe", "persistence/cns_m0.1"} <= set(result.metrics)


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


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "data.history=8",
            "has 8 frames per trajectory, too few for 8 history frames plus a target",
        ),
        ("data.datasets=[swe, ocean]", "unknown dataset 'ocean'"),
    ],
)
def test_bad_input_is_one_line_from_the_cli(in_tmp, capsys, override, message):
    from polymath.foundation.cli import main

    assert (
        main(["run", "mpp", "smoke", override, "--tracking-uri", f"sqlite:///{in_tmp}/mlflow.db"])
        == 1
    )
    errors = [
        line for line in capsys.readouterr().err.splitlines() if line.startswith("polymath: error:")
    ]
    assert len(errors) == 1 and message in errors[0]
