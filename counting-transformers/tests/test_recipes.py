from pathlib import Path

import pytest
import torch

from polymath.counting_transformers.datamodule import CountingDataModule
from polymath.counting_transformers.module import CountingModule
from polymath.counting_transformers.package import PACKAGE
from polymath.counting_transformers.recipes import RECIPES, summarise
from polymath.foundation import build_trainer, get_package, run_recipe


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def artifacts(root: Path, folder: str) -> set[str]:
    return {p.name for p in root.glob(f"mlartifacts/*/*/artifacts/{folder}/*")}


def test_package_is_registered_with_its_recipes():
    package = get_package("counting-transformers")
    assert package is PACKAGE
    assert {"smoke", "quick", "paper", "sweep"} <= set(package.recipes)
    assert package.version == "0.1.0"


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_builds_a_consistent_module_and_datamodule(name, in_tmp):
    config = RECIPES[name].config
    module = CountingModule(**config["model"])
    datamodule = CountingDataModule(**config["data"])
    assert module.hparams.max_count == datamodule.max_count
    assert module.hparams.max_regions >= max([config["data"]["regions"], *datamodule.grid[0][1:]])


def _val_loss(module: CountingModule, datamodule: CountingDataModule) -> float:
    module.eval()
    with torch.no_grad():
        losses = [module._loss(batch)[0] for batch in datamodule.val_dataloader()[0]]
    return float(torch.stack(losses).mean())


def test_smoke_recipe_lowers_the_loss(in_tmp):
    config = RECIPES["smoke"].config
    torch.manual_seed(0)
    module = CountingModule(**config["model"])
    datamodule = CountingDataModule(**config["data"])
    datamodule.prepare_data()
    before = _val_loss(module, datamodule)
    trainer = build_trainer({**config["trainer"], "progress": "none", "max_steps": 60})
    trainer.fit(module, datamodule=datamodule)
    assert _val_loss(module, datamodule) < before - 0.3


def test_smoke_recipe_runs_tracked_with_report(in_tmp):
    result = run_recipe(
        "counting-transformers", "smoke", tracking_uri=f"sqlite:///{in_tmp}/mlflow.db"
    )
    assert 0.0 <= result.metrics["test/acc_region"] <= 1.0
    assert 0.0 <= result.metrics["test/acc_sequence"] <= result.metrics["test/acc_region"]
    assert {"test/ood/L16_R1/acc_region", "test/ood/L32_R3/acc_sequence"} <= set(result.metrics)
    assert artifacts(in_tmp, "figures") == {
        "attention.png",
        "bias_tokens.png",
        "one_token_pca.png",
        "ood_accuracy.png",
    }


def test_sweep_runs_every_configuration_and_logs_a_table(in_tmp):
    overrides = [
        "data.length=24",
        "data.regions=2",
        "data.ood_lengths=[16]",
        "data.ood_regions=[1]",
        "data.max_count=21",
        "data.eval_size=16",
        "data.batch_size=16",
        "model.max_count=21",
        "model.d_model=16",
        "trainer.max_steps=5",
        "trainer.val_check_interval=5",
        "experiment.positions=[none, alibi]",
        "experiment.seeds=[0]",
    ]
    result = run_recipe(
        "counting-transformers", "sweep", overrides, tracking_uri=f"sqlite:///{in_tmp}/mlflow.db"
    )
    for encoder in ("causal", "non-causal"):
        for position in ("none", "alibi"):
            assert f"sweep/{encoder}/{position}/acc_region_mean" in result.metrics
    assert {"sweep_runs.csv", "sweep_summary.md"} <= artifacts(in_tmp, "tables")
    assert "sweep_accuracy.png" in artifacts(in_tmp, "figures")


def test_summarise_aggregates_over_seeds():
    runs = [
        {
            "encoder": "causal",
            "position": "none",
            "seed": s,
            "acc_region": a,
            "acc_sequence": a / 2,
            "ood_acc_region": a / 4,
        }
        for s, a in enumerate([0.5, 1.0])
    ]
    (row,) = summarise(runs)
    assert row["seeds"] == 2
    assert row["acc_region_mean"] == pytest.approx(0.75)
    assert row["acc_region_best"] == 1.0
    assert row["acc_region_std"] == pytest.approx(0.25)
