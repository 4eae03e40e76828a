"""The package as the federation sees it: its entry point, its recipes, and `smoke` end to end."""

import os
import sqlite3
import subprocess
import sys

import pytest

from polymath.foundation import run_recipe
from polymath.foundation.cli import main
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


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data.n_pairs=3", "n_pairs must be at least 10"),
        ("data.path={tmp}/other.h5", "other.h5: not an HDF5 file"),
        ("data.morphology={tmp}/other.h5", "not a Galaxy Zoo DECaLS"),
    ],
)
def test_bad_input_gets_one_line_and_no_run(tmp_path, monkeypatch, capsys, override, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "other.h5").write_text("not hdf5")
    code = main(["run", "astroclip", "smoke", override.format(tmp=tmp_path)])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code != 0
    assert message in errors[-1] and errors[-1].startswith("polymath: error:")
    assert not any("Traceback" in line for line in errors)
    if (tmp_path / "mlflow.db").exists():
        with sqlite3.connect(tmp_path / "mlflow.db") as store:
            assert store.execute("select count(*) from runs").fetchone() == (0,)


@pytest.mark.parametrize("name", get_package("astroclip").recipe_names)
def test_every_recipe_resolves_against_its_constructors(name):
    config = resolve_recipe(get_package("astroclip"), name).config
    assert {"model", "data", "trainer"} <= set(config)


TINY_OVERRIDES = [
    "data.n_pairs=40",
    "data.batch_size=8",
    "trainer.max_steps=2",
    "trainer.threads=1",
]


@pytest.mark.slow
def test_the_stages_chain_pretrain_then_align_then_evaluate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    common = [*TINY_OVERRIDES, f"data.cache_dir={tmp_path}/cache", "trainer.val_check_interval=2"]
    spectrum = run_recipe("astroclip", "pretrain-spectrum", common, tracking_uri=uri)
    image = run_recipe(
        "astroclip",
        "pretrain-image",
        [
            *common,
            "experiment.k=8",
            "model.prototypes=32",
            "model.head_hidden=16",
            "model.local_crops=2",
        ],
        tracking_uri=uri,
    )
    assert {"zero_shot/pretrained/redshift", "zero_shot/random_init/redshift"} <= set(image.metrics)
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


@pytest.mark.slow
def test_the_baselines_recipe_trains_all_three_in_one_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_recipe(
        "astroclip",
        "baselines",
        [*TINY_OVERRIDES, f"data.cache_dir={tmp_path}/cache", "trainer.val_check_interval=2"],
        tracking_uri=f"sqlite:///{tmp_path}/mlflow.db",
    )
    for kind in ("image", "spectrum", "photometry"):
        assert f"supervised/{kind}/redshift" in result.metrics
