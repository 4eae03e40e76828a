from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from polymath.foundation import (
    BrokenPackageError,
    ConfigError,
    UnknownPackageError,
    UnknownRecipeError,
    run_recipe,
)
from polymath.foundation.contract import PaperPackage, Recipe, discover_packages
from polymath.foundation.runner import COMPLETED_FILE, RUN_FILE

pytestmark = pytest.mark.usefixtures("example_site", "in_tmp")


def runs(uri: str) -> list:
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("example")
    return [] if experiment is None else client.search_runs([experiment.experiment_id])


def test_the_example_package_is_discovered_through_its_entry_point():
    package = discover_packages()["example"]
    assert package.version == "0.0.1"
    assert package.foundation_range == "<0.3,>=0.2.0"
    assert package.recipe_names == ["smoke", "quick", "paper", "lrs", "sweep"]
    smoke = package.recipe("smoke")
    assert smoke.description == "linear regression, 8 steps" and smoke.headline == "test/loss"
    assert smoke.config["trainer"]["max_steps"] == 8


def test_a_package_without_the_required_recipe_files_is_broken(tmp_path):
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "smoke.yaml").write_text("description: x\n")
    package = PaperPackage("x", "polymath-x", "", "a:B", "a:C", "recipes")
    package.__dict__["recipe_folder"] = tmp_path / "recipes"
    with pytest.raises(BrokenPackageError, match="lacks the required recipes: quick, paper"):
        package.recipe_files  # noqa: B018


def test_a_recipe_file_with_an_unknown_key_is_refused():
    with pytest.raises(ConfigError, match="unknown recipe key 'modle'"):
        Recipe.from_mapping("x", {"modle": {}})


def test_run_recipe_tracks_one_finished_run_with_its_model(mlflow_uri):
    result = run_recipe("example", "smoke", ["model.lr=0.05"], tracking_uri=mlflow_uri)
    assert result.metrics["test/loss"] < result.metrics["train/loss"] * 10
    client = MlflowClient(mlflow_uri)
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["model.lr"] == "0.05" and run.data.params["model.optimizer"] == "adam"
    assert run.data.tags["polymath.recipe"] == "smoke"
    assert {"test/loss", "run/seconds", "report/weight_norm"} <= set(run.data.metrics)
    artifacts = {a.path for a in client.list_artifacts(result.run_id)}
    assert {"checkpoints", "config.yaml", "model"} <= artifacts
    model_files = {Path(a.path).name for a in client.list_artifacts(result.run_id, "model")}
    assert {"MLmodel", "polymath-model.pt", "input_example.json"} <= model_files
    config = yaml.safe_load(
        Path(client.download_artifacts(result.run_id, "config.yaml")).read_text()
    )
    assert (
        config["model"]["lr"] == 0.05 and config["module"] == "polymath.example.module:Regression"
    )
    assert (result.workdir / COMPLETED_FILE).exists()


def test_a_runs_own_config_file_reruns_it_exactly(mlflow_uri):
    first = run_recipe(
        "example", "smoke", ["model.lr=0.02", "trainer.max_steps=3"], tracking_uri=mlflow_uri
    )
    saved = Path(MlflowClient(mlflow_uri).download_artifacts(first.run_id, "config.yaml"))
    again = run_recipe("example", config_file=saved, tracking_uri=mlflow_uri)
    assert again.metrics["test/loss"] == pytest.approx(first.metrics["test/loss"], rel=1e-6)


def test_a_run_function_gets_its_experiment_settings(mlflow_uri):
    result = run_recipe("example", "lrs", ["experiment.lrs=[0.5]"], tracking_uri=mlflow_uri)
    assert set(result.metrics) == {"lr/0.5/test_loss"}


def test_resume_auto_continues_the_unfinished_run(mlflow_uri):
    first = run_recipe("example", "smoke", tracking_uri=mlflow_uri)
    (first.workdir / COMPLETED_FILE).unlink()  # as if the run had been killed
    again = run_recipe(
        "example", "smoke", ["trainer.resume=auto", "trainer.max_steps=16"], tracking_uri=mlflow_uri
    )
    assert again.workdir == first.workdir and again.run_id == first.run_id
    assert (again.workdir / RUN_FILE).is_file()
    history = MlflowClient(mlflow_uri).get_metric_history(again.run_id, "train/loss")
    assert max(m.step for m in history) >= 8


@pytest.mark.parametrize(
    ("package", "recipe", "overrides", "error", "message"),
    [
        ("nope", "smoke", [], UnknownPackageError, "unknown package 'nope'.*example"),
        ("example", "fast", [], UnknownRecipeError, "no recipe 'fast'.*lrs, paper, quick"),
        ("example", "smoke", ["model.lrr=1"], ConfigError, "unknown setting model.lrr"),
        ("example", "smoke", ["trainer.max_stepz=1"], ConfigError, "unknown setting trainer.max_stepz"),
        ("example", "smoke", ["model.features=0"], ConfigError, "model: Regression refused its settings: features must be >= 1"),
        ("example", "smoke", ["data.batch_size=0"], ConfigError, "batch_size must be >= 1"),
        ("example", "smoke", ["trainer.devices=0"], ConfigError, "trainer.devices must be"),
        ("example", "smoke", ["data.features=3"], ConfigError, "^model.features=4 does not match the data's 3 features"),
        ("example", "sweep", ["data.features=3"], ConfigError, "model.features=4 does not match"),
    ],
)  # fmt: skip
def test_bad_input_fails_before_any_run_exists(
    mlflow_uri, package, recipe, overrides, error, message
):
    with pytest.raises(error, match=message):
        run_recipe(package, recipe, overrides, tracking_uri=mlflow_uri)
    assert not Path("polymath_runs").exists()
    assert runs(mlflow_uri) == []


def test_a_failing_recipe_ends_its_run_failed(mlflow_uri):
    with pytest.raises(FloatingPointError, match="non-finite training loss"):
        run_recipe("example", "smoke", ["model.fail_at_step=2"], tracking_uri=mlflow_uri)
    (run,) = runs(mlflow_uri)
    assert run.info.status == "FAILED"


def test_a_run_registers_its_model_when_asked(mlflow_uri):
    result = run_recipe("example", "smoke", ["trainer.max_steps=2"], mlflow_uri, register="example")
    (version,) = MlflowClient(mlflow_uri).search_model_versions("name='example'")
    assert version.run_id == result.run_id and version.tags["package_version"] == "0.0.1"


def test_demo_runs_each_package_and_prints_the_summary(mlflow_uri, monkeypatch, capsys):
    from polymath.foundation import demo

    example = discover_packages()["example"]
    monkeypatch.setattr(demo, "discover_packages", lambda: {"example": example})
    assert demo.run_demo("smoke", mlflow_uri) == 0
    out = capsys.readouterr().out
    assert "polymath demo" in out and "example" in out and "test/loss" in out
    assert "polymath ui" in out


def test_side_by_side_demo_recipes_fail_alone_and_leave_their_logs(mlflow_uri, monkeypatch, capsys):
    """Two at a time, each in its own process: a package that fails there stops nothing."""
    from polymath.foundation import demo

    example = discover_packages()["example"]
    monkeypatch.setattr(demo, "discover_packages", lambda: {"absent": example, "gone": example})
    assert demo.run_demo("smoke", mlflow_uri, jobs=2) == 1
    out = capsys.readouterr().out
    assert "2 recipes, 2 at a time" in out
    assert "absent · smoke: FAILED" in out and "gone · smoke: FAILED" in out
    for name in ("absent", "gone"):
        (log,) = Path("polymath_runs/demo").glob(f"*/{name}.log")
        assert "UnknownPackageError" in log.read_text()  # the child's traceback, in its log
        assert "unknown package" in log.with_suffix(".json").read_text().lower()


@pytest.mark.slow  # fast version: the test above (two children that fail at once)
def test_the_demo_runs_recipes_side_by_side_each_in_its_process(mlflow_uri, monkeypatch, capsys):
    """A recipe that runs in a child gives its metrics, on its share of the cores."""
    from polymath.foundation import demo

    example = discover_packages()["example"]
    monkeypatch.setattr(demo, "discover_packages", lambda: {"example": example, "absent": example})
    assert demo.run_demo("smoke", mlflow_uri, jobs=2) == 1
    out = capsys.readouterr().out
    assert "2 recipes, 2 at a time" in out and "absent · smoke: FAILED" in out
    (finished,) = MlflowClient(mlflow_uri).search_runs(
        [MlflowClient(mlflow_uri).get_experiment_by_name("example").experiment_id]
    )
    assert finished.info.status == "FINISHED" and finished.data.params["trainer.threads"] == "1"
    (log,) = Path("polymath_runs/demo").glob("*/example.log")
    assert log.with_suffix(".json").is_file() and log.stat().st_size > 0
