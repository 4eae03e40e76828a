"""The package as the federation sees it: its entry point, its recipes, and `smoke` end to end."""

import subprocess

from mlflow import MlflowClient

from polymath.foundation.contract import get_package
from polymath.foundation.runner import resolve_recipe


def test_the_entry_point_offers_the_three_recipes():
    package = get_package("pirounet")
    assert {"smoke", "quick", "paper"} <= set(package.recipe_names)
    for name in package.recipe_names:
        resolve_recipe(package, name)


def test_smoke_runs_through_the_cli_and_logs_the_comparison(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    result = subprocess.run(
        ["polymath", "run", "pirounet", "smoke", "--tracking-uri", uri],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    client = MlflowClient(uri)
    (run,) = client.search_runs([client.get_experiment_by_name("pirounet").experiment_id])
    metrics = run.data.metrics
    assert 0 <= metrics["test/accuracy"] <= 1 and 0 <= metrics["baseline/test_accuracy"] <= 1
    assert metrics["chance/uniform"] == 1 / 3 and metrics["test/ajd"] > 0
    assert (
        0 <= metrics["generation/recognition_tiles"] <= 1 and metrics["generation/fid_tiles"] >= 0
    )
    assert 0 <= metrics["judge/test_accuracy"] <= 1 and metrics["entanglement/label_over_z"] >= 0
    figures = {a.path for a in client.list_artifacts(run.info.run_id, "figures")}
    assert {"figures/confusion.png", "figures/latent_pca.png"} <= figures


def test_a_bad_value_is_one_line_from_the_cli(tmp_path):
    result = subprocess.run(
        ["polymath", "run", "pirounet", "smoke", "data.seq_len=100000",
         "--tracking-uri", f"sqlite:///{tmp_path}/mlflow.db"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    assert "longer than the data" in result.stderr and "Traceback" not in result.stderr
