from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from polymath.foundation import ConfigError, UnknownPackageError, UnknownRecipeError, run_recipe
from polymath.foundation.contract import PaperPackage, Recipe, discover_packages
from polymath.foundation.runner import COMPLETED_FILE, RUN_FILE

pytestmark = pytest.mark.usefixtures("example_site", "in_tmp")


def test_the_example_package_is_discovered_through_its_entry_point():
    package = discover_packages()["example"]
    assert package.version == "0.0.1"
    assert package.foundation_range == "<0.2,>=0.1.0"
    assert set(package.recipes) == {"smoke", "quick", "paper"}


def test_a_package_without_the_required_recipes_is_refused():
    from polymath.example import Regression, RegressionData

    with pytest.raises(ValueError, match="lacks the required recipes: quick, paper"):
        PaperPackage("x", "polymath-x", "", Regression, RegressionData, {"smoke": Recipe("", {})})


def test_run_recipe_tracks_one_run(mlflow_uri):
    result = run_recipe("example", "smoke", ["model.lr=0.05"], tracking_uri=mlflow_uri)
    assert result.metrics["test/loss"] < result.metrics["train/loss"] * 10
    client = MlflowClient(mlflow_uri)
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["model.lr"] == "0.05"
    assert "test/loss" in run.data.metrics and "run/seconds" in run.data.metrics
    assert client.get_experiment(run.info.experiment_id).name == "example"
    artifacts = {a.path for a in client.list_artifacts(result.run_id)}
    assert "checkpoints" in artifacts
    config = yaml.safe_load(
        Path(client.download_artifacts(result.run_id, "config.yaml")).read_text()
    )
    assert config["model"]["lr"] == 0.05
    assert (result.workdir / COMPLETED_FILE).exists()


def test_resume_auto_continues_the_unfinished_run(mlflow_uri):
    first = run_recipe("example", "smoke", tracking_uri=mlflow_uri)
    (first.workdir / COMPLETED_FILE).unlink()  # as if the run had been killed
    again = run_recipe(
        "example", "smoke", ["trainer.resume=auto", "trainer.max_steps=16"], tracking_uri=mlflow_uri
    )
    assert again.workdir == first.workdir
    assert again.run_id == first.run_id
    assert (again.workdir / RUN_FILE).is_file()
    history = MlflowClient(mlflow_uri).get_metric_history(again.run_id, "train/loss")
    assert max(m.step for m in history) >= 8


def test_bad_input_fails_before_training(mlflow_uri):
    with pytest.raises(UnknownPackageError, match="unknown package 'nope'.*example"):
        run_recipe("nope", "smoke", tracking_uri=mlflow_uri)
    with pytest.raises(UnknownRecipeError, match="no recipe 'fast'.*paper, quick, smoke"):
        run_recipe("example", "fast", tracking_uri=mlflow_uri)
    with pytest.raises(ConfigError, match="unknown config key 'model.lrr'"):
        run_recipe("example", "smoke", ["model.lrr=1"], tracking_uri=mlflow_uri)
    with pytest.raises(ConfigError, match="unknown trainer setting"):
        run_recipe("example", "smoke", ["trainer.max_stepz=1"], tracking_uri=mlflow_uri)
    assert not Path("polymath_runs").exists()


def test_run_context_registers_a_model_with_the_package_version(mlflow_uri, tmp_path):
    from polymath.example import Regression
    from polymath.foundation import get_package, tracking
    from polymath.foundation.runner import RunContext

    package = get_package("example")
    logger = tracking.create_logger("example", "example/test", tracking_uri=mlflow_uri)
    ctx = RunContext(package, "smoke", {}, logger, tmp_path)
    version = ctx.register_model(Regression().model)
    model = MlflowClient(mlflow_uri).get_registered_model("example")
    assert model.name == "example" and version.tags["package_version"] == "0.0.1"


def test_demo_runs_each_package_and_prints_the_summary(mlflow_uri, monkeypatch, capsys):
    from polymath.foundation import demo

    example = discover_packages()["example"]
    monkeypatch.setattr(demo, "discover_packages", lambda: {"example": example})
    assert demo.run_demo("smoke", mlflow_uri) == 0
    out = capsys.readouterr().out
    assert "polymath demo" in out and "example" in out and "test/loss" in out
    assert "polymath ui" in out
