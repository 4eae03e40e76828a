"""The package as the federation sees it: its entry point, its recipes, and `smoke` end to end."""

import os
import subprocess
import sys

from polymath.foundation.contract import get_package


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
