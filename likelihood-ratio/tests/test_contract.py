from pathlib import Path

import pytest
from mlflow import MlflowClient

from polymath.foundation import get_package, load_model, run_recipe
from polymath.foundation.cli import main
from polymath.foundation.runner import resolve_recipe
from polymath.likelihood_ratio.experiments import best_pairs, objective_label
from polymath.likelihood_ratio.model import RatioMLP


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def test_the_package_is_registered_with_its_recipe_files():
    package = get_package("likelihood-ratio")
    assert {"smoke", "quick", "paper", "p-scan", "r-scan", "links", "sizes"} <= set(
        package.recipe_names
    )


@pytest.mark.parametrize("name", get_package("likelihood-ratio").recipe_names)
def test_every_recipe_resolves_with_valid_objectives(name):
    from polymath.likelihood_ratio import Objective

    recipe = resolve_recipe(get_package("likelihood-ratio"), name)
    for objective in recipe.config["experiment"].get("objectives", []):
        Objective.from_names(**objective)


def test_the_paper_recipe_is_for_gpus():
    trainer = resolve_recipe(get_package("likelihood-ratio"), "paper").config["trainer"]
    assert trainer["accelerator"] == "auto" and trainer["max_epochs"] == 100


def test_labels_and_best_pairs():
    assert objective_label({"loss": "p-mse", "link": "sigmoid", "p": 1.2}) == "p-mse(p=1.2)/sigmoid"
    rows = [
        {"objective": "mlc/linear", "n": 1, "mae_mean": 0.3, "mae_std": 0.1, "mae_ensemble": 0.2},
        {"objective": "mlc/exponential", "n": 1, "mae_mean": 0.1, "mae_std": 0.0, "mae_ensemble": 0.1},
        {"objective": "bce/sigmoid", "n": 1, "mae_mean": 0.2, "mae_std": 0.0, "mae_ensemble": 0.2},
    ]  # fmt: skip
    assert [row["objective"] for row in best_pairs(rows)] == ["mlc/exponential", "bce/sigmoid"]


def test_smoke_recipe_logs_table_figures_and_metrics(in_tmp):
    uri = f"sqlite:///{in_tmp}/mlflow.db"
    result = run_recipe("likelihood-ratio", "smoke", tracking_uri=uri)
    assert 0 < result.metrics["best/mae_mean"] < 1
    client = MlflowClient(uri)
    tables = {Path(a.path).name for a in client.list_artifacts(result.run_id, "tables")}
    figures = {Path(a.path).name for a in client.list_artifacts(result.run_id, "figures")}
    assert {"objectives.csv", "best_pairs.md"} <= tables
    assert {"ratio.png", "mae.png"} <= figures
    assert "mlc/exponential/n2000/mae_mean" in client.get_run(result.run_id).data.metrics


def test_a_two_dimensional_scan_draws_error_maps(in_tmp):
    uri = f"sqlite:///{in_tmp}/mlflow.db"
    result = run_recipe(
        "likelihood-ratio",
        "smoke",
        [
            "data.dataset=circle",
            "data.n=400",
            "trainer.max_epochs=1",
            "experiment.objectives=[{loss: mlc, link: exponential}]",
            "experiment.sizes=[200, 400]",
        ],
        tracking_uri=uri,
    )
    figures = {
        Path(a.path).name for a in MlflowClient(uri).list_artifacts(result.run_id, "figures")
    }
    assert "error_map_mlc_exponential.png" in figures and "mae_vs_n.png" in figures


def test_one_point_of_the_p_scan_is_a_child_run_that_logs_its_model(in_tmp, monkeypatch):
    monkeypatch.setenv("POLYMATH_SWEEP_ID", "test")
    uri = f"sqlite:///{in_tmp}/mlflow.db"
    overrides = ["data.n=400", "data.n_test=400", "model.members=2", "trainer.max_epochs=2",
                 "experiment.point=3"]  # fmt: skip
    result = run_recipe("likelihood-ratio", "p-scan", overrides, tracking_uri=uri)
    client = MlflowClient(uri)
    (child,) = client.search_runs(
        [client.get_experiment_by_name("likelihood-ratio").experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{result.run_id}'",
    )
    assert child.data.params["model.p"] == "1.1" and "test/mae_mean" in child.data.metrics
    model = load_model(child.info.run_id, tracking_uri=uri)
    assert isinstance(model, RatioMLP) and model.members == 2


def test_a_bad_objective_is_one_line_from_the_cli_and_creates_no_run(in_tmp, capsys):
    code = main(
        ["run", "likelihood-ratio", "smoke", "experiment.objectives=[{loss: mlc, link: sigmoid}]"]
    )
    errors = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1
    assert errors[-1] == (
        "polymath: error: experiment.objectives[0]: loss 'mlc' needs a positive parametrization "
        "(linear, square, exponential); 'sigmoid' is unit"
    )
    assert not any("Traceback" in line for line in errors)
    assert not (in_tmp / "mlflow.db").exists()  # refused before the store was opened: no run
