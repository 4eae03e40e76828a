from pathlib import Path

import pytest
from mlflow import MlflowClient

from polymath.foundation import discover_packages, run_recipe
from polymath.likelihood_ratio.recipes import RECIPES, best_pairs, objective_label


def test_the_package_is_registered_with_its_recipes():
    package = discover_packages()["likelihood-ratio"]
    assert {"smoke", "quick", "paper", "p-scan", "r-scan", "links", "sizes"} <= set(package.recipes)


def test_every_recipe_builds_valid_objectives():
    from polymath.likelihood_ratio import Objective

    for recipe in RECIPES.values():
        for objective in recipe.config["experiment"]["objectives"]:
            params = {k: objective[k] for k in ("p", "r", "q") if k in objective}
            Objective.from_names(objective["loss"], objective["link"], **params)


def test_labels_and_best_pairs():
    assert objective_label({"loss": "p-mse", "link": "sigmoid", "p": 1.2}) == "p-mse(p=1.2)/sigmoid"
    rows = [
        {"objective": "mlc/linear", "n": 1, "mae_mean": 0.3, "mae_std": 0.1, "mae_ensemble": 0.2},
        {
            "objective": "mlc/exponential",
            "n": 1,
            "mae_mean": 0.1,
            "mae_std": 0.0,
            "mae_ensemble": 0.1,
        },
        {"objective": "bce/sigmoid", "n": 1, "mae_mean": 0.2, "mae_std": 0.0, "mae_ensemble": 0.2},
    ]
    assert [row["objective"] for row in best_pairs(rows)] == ["mlc/exponential", "bce/sigmoid"]


def test_smoke_recipe_logs_table_figures_and_metrics(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    result = run_recipe("likelihood-ratio", "smoke", tracking_uri=uri)
    assert 0 < result.metrics["best/mae_mean"] < 1
    client = MlflowClient(uri)
    tables = {Path(a.path).name for a in client.list_artifacts(result.run_id, "tables")}
    figures = {Path(a.path).name for a in client.list_artifacts(result.run_id, "figures")}
    assert {"objectives.csv", "best_pairs.md"} <= tables
    assert {"ratio.png", "mae.png"} <= figures
    assert "mlc/exponential/n2000/mae_mean" in client.get_run(result.run_id).data.metrics


def test_a_two_dimensional_scan_draws_error_maps(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
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


def test_a_bad_objective_fails_with_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="needs a positive parametrization"):
        run_recipe(
            "likelihood-ratio",
            "smoke",
            ["experiment.objectives=[{loss: mlc, link: sigmoid}]"],
            tracking_uri=f"sqlite:///{tmp_path}/mlflow.db",
        )
