"""The package as the federation sees it: its entry point, its recipes, and `smoke` end to end."""

import os
import subprocess
import sys

import pytest

from polymath.foundation import run_recipe
from polymath.foundation.contract import get_package
from polymath.foundation.runner import resolve_recipe


def test_the_entry_point_offers_the_three_recipes():
    package = get_package("astroclip")
    assert {"smoke", "quick", "paper"} <= set(package.recipe_names)


def test_smoke_runs_through_the_cli(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "polymath.foundation.cli",
            "run",
            "astroclip",
            "smoke",
            "--tracking-uri",
            f"sqlite:///{tmp_path}/mlflow.db",
            f"data.cache_dir={tmp_path}/cache",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "zero_shot/spectrum/redshift" in result.stdout + result.stderr
    assert (tmp_path / "cache" / "sim-v1-n40-seed0.catalogue.npz").is_file()


def test_a_bad_override_gets_one_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "polymath.foundation.cli",
            "run",
            "astroclip",
            "smoke",
            "--tracking-uri",
            f"sqlite:///{tmp_path}/mlflow.db",
            "data.n_pairs=3",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "n_pairs must be at least 10" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", get_package("astroclip").recipe_names)
def test_every_recipe_resolves_against_its_constructors(name):
    config = resolve_recipe(get_package("astroclip"), name).config
    assert {"model", "data", "trainer"} <= set(config)


TINY_OVERRIDES = ["data.n_pairs=40", "data.batch_size=8", "trainer.max_steps=2", "trainer.threads=1"]


@pytest.mark.slow
def test_the_stages_chain_pretrain_then_align_then_evaluate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    common = [*TINY_OVERRIDES, f"data.cache_dir={tmp_path}/cache", "trainer.val_check_interval=2"]
    spectrum = run_recipe("astroclip", "pretrain-spectrum", common, tracking_uri=uri)
    image = run_recipe(
        "astroclip",
        "pretrain-image",
        [*common, "model.prototypes=32", "model.head_hidden=16", "model.local_crops=2"],
        tracking_uri=uri,
    )
    aligned = run_recipe(
        "astroclip",
        "align",
        [
            *common,
            "experiment.k=8",
            f"model.image_from={image.run_id}",
            f"model.spectrum_from={spectrum.run_id}",
        ],
        tracking_uri=uri,
    )
    assert "retrieval/image_view_to_image/recall@10" in aligned.metrics
    evaluated = run_recipe(
        "astroclip",
        "evaluate",
        [*common, "experiment.k=8", f"model.init_from={aligned.run_id}"],
        tracking_uri=uri,
    )
    assert evaluated.metrics["test/loss"] == pytest.approx(aligned.metrics["test/loss"], rel=1e-4)
