from pathlib import Path

import pytest
import torch
from mlflow import MlflowClient

from polymath.counting_transformers.datamodule import CountingDataModule
from polymath.counting_transformers.model import CountingTransformer
from polymath.counting_transformers.module import CountingModule
from polymath.counting_transformers.package import PACKAGE
from polymath.foundation import build_trainer, get_package, load_model, run_recipe
from polymath.foundation.cli import main
from polymath.foundation.runner import resolve_recipe


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def artifacts(root: Path, folder: str) -> set[str]:
    return {p.name for p in root.glob(f"mlartifacts/*/*/artifacts/{folder}/*")}


def test_package_is_registered_with_its_recipe_files():
    package = get_package("counting-transformers")
    assert package.name == PACKAGE.name and package.module == PACKAGE.module
    assert package.recipe_names[:3] == ["smoke", "quick", "paper"]
    assert "sweep" in package.recipe_names


@pytest.mark.parametrize("name", PACKAGE.recipe_names)
def test_every_recipe_resolves_to_a_consistent_module_and_datamodule(name, in_tmp):
    config = resolve_recipe(PACKAGE, name).config
    module = CountingModule(**config["model"])
    datamodule = CountingDataModule(**config["data"])
    assert module.hparams.max_count == datamodule.max_count
    regions = [config["data"]["regions"], *config["data"]["ood_regions"]]
    lengths = [config["data"]["length"], *config["data"]["ood_lengths"]]
    assert module.hparams.max_regions >= max(regions)
    assert module.hparams.max_length >= max(lengths)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.max_count=0", "model.max_count=0 is below what the data produces (29); accepted: model.max_count >= 29"),
        ("model.max_regions=2", "model.max_regions=2 is below what the data produces (3); accepted: model.max_regions >= 3"),
        ("model.position=learned model.max_length=24", "model.max_length=24 is below what the data produces (32); accepted: model.max_length >= 32"),
    ],
)  # fmt: skip
def test_a_model_too_small_for_its_data_is_one_line_and_creates_no_run(
    in_tmp, capsys, override, message
):
    code = main(["run", "counting-transformers", "smoke", *override.split()])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1
    assert errors[-1] == f"polymath: error: {message}"
    assert not any("Traceback" in line for line in errors)
    assert not (in_tmp / "mlflow.db").exists()  # refused before the store was opened: no run


def _val_loss(module: CountingModule, datamodule: CountingDataModule) -> float:
    module.eval()
    with torch.no_grad():
        losses = [module._loss(batch)[0] for batch in datamodule.val_dataloader()[0]]
    return float(torch.stack(losses).mean())


def test_smoke_recipe_lowers_the_loss(in_tmp):
    config = resolve_recipe(PACKAGE, "smoke").config
    torch.manual_seed(0)
    module = CountingModule(**config["model"])
    datamodule = CountingDataModule(**config["data"])
    datamodule.prepare_data()
    before = _val_loss(module, datamodule)
    trainer = build_trainer({**config["trainer"], "progress": "none", "max_steps": 60})
    trainer.fit(module, datamodule=datamodule)
    assert _val_loss(module, datamodule) < before - 0.3


def test_smoke_recipe_runs_tracked_with_report_and_logs_its_model(in_tmp):
    uri = f"sqlite:///{in_tmp}/mlflow.db"
    result = run_recipe("counting-transformers", "smoke", tracking_uri=uri)
    assert 0.0 <= result.metrics["test/acc_sequence"] <= result.metrics["test/acc_region"] <= 1.0
    assert {"test/ood/L16_R1/acc_region", "test/ood/L32_R3/acc_sequence"} <= set(result.metrics)
    assert artifacts(in_tmp, "figures") == {
        "attention.png",
        "bias_tokens.png",
        "one_token_pca.png",
        "ood_accuracy.png",
    }
    model = load_model(result.run_id, tracking_uri=uri)
    assert isinstance(model, CountingTransformer) and model.config.d_model == 16
    checkpoint = next((result.workdir / "checkpoints").glob("last.ckpt"))
    assert torch.equal(load_model(checkpoint).head.weight, model.head.weight), (
        "the checkpoint and the logged model are the same final weights"
    )


def test_init_from_starts_a_recipe_from_a_logged_model(in_tmp):
    uri = f"sqlite:///{in_tmp}/mlflow.db"
    first = run_recipe("counting-transformers", "smoke", ["trainer.max_steps=5"], tracking_uri=uri)
    start = load_model(first.run_id, tracking_uri=uri)
    module = CountingModule(**{**resolve_recipe(PACKAGE, "smoke").config["model"],
                               "init_from": f"runs:/{first.run_id}/model"})  # fmt: skip
    assert torch.equal(module.model.head.weight, start.head.weight)


def test_one_point_of_the_sweep_is_a_child_run(in_tmp, monkeypatch):
    monkeypatch.setenv("POLYMATH_SWEEP_ID", "test")
    uri = f"sqlite:///{in_tmp}/mlflow.db"
    overrides = [
        "data.length=24", "data.regions=2", "data.ood_lengths=[16]", "data.ood_regions=[1]",
        "data.max_count=21", "data.eval_size=16", "data.batch_size=16", "model.max_count=21",
        "model.d_model=16", "trainer.max_steps=5", "trainer.val_check_interval=5",
        "experiment.point=3",
    ]  # fmt: skip
    result = run_recipe("counting-transformers", "sweep", overrides, tracking_uri=uri)
    client = MlflowClient(uri)
    children = client.search_runs(
        [client.get_experiment_by_name("counting-transformers").experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{result.run_id}'",
    )
    assert len(children) == 1
    child = children[0]
    assert child.data.tags["polymath.sweep.point"] == "3"
    assert child.data.params["model.position"] == "learned"  # the grid's fourth point
    assert "test/acc_region" in child.data.metrics
    assert client.get_run(result.run_id).info.status == "RUNNING"  # 15 points still to run
