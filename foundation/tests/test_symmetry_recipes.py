"""The ``symmetry`` entry: listed by the command, and its smoke recipe runs tracked end to end."""

import subprocess
import sys

import mlflow
import pytest

from polymath.foundation import ConfigError, get_package, load_model, run_recipe
from polymath.foundation.runner import resolve_recipe


def test_symmetry_is_listed_with_its_recipes():
    result = subprocess.run(
        [sys.executable, "-m", "polymath.foundation.cli", "list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "symmetry" in result.stdout and "data-efficiency" in result.stdout


@pytest.mark.parametrize("name", ["smoke", "quick", "data-efficiency", "paper"])
def test_every_recipe_resolves_against_the_classes(name):
    package = get_package("symmetry")
    resolve_recipe(package, name)


def test_a_rapidity_beyond_the_tested_range_is_refused_before_a_run():
    package = get_package("symmetry")
    with pytest.raises(
        ConfigError, match="equivariance_rapidity: Not of type TestedRapidity.*<=4.0"
    ):
        resolve_recipe(package, "smoke", ["model.equivariance_rapidity=9"])


def test_smoke_runs_and_logs_an_invariant_model(in_tmp):
    result = run_recipe("symmetry", "smoke")
    assert 0 <= result.metrics["test/auc"] <= 1
    assert result.metrics["test/equivariance_boost"] < 1e-3  # float32 LorentzNet: invariant
    model = load_model(f"runs:/{result.run_id}/model")
    assert type(model).__name__ == "LorentzNetTagger"
    run = mlflow.get_run(result.run_id)
    assert run.info.status == "FINISHED"
