"""The smoke recipe through the ``polymath`` command, and bad input reported in one line."""

from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient

from polymath.cwola_streams import Patch, save_patch
from polymath.foundation.cli import main


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory):
    """One MLflow store for the module: creating its tables costs seconds per store."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow')}/mlflow.db"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch, tracking_uri):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    return tmp_path


def run(*overrides: str) -> int:
    return main(["run", "cwola-streams", "smoke", *overrides])


def test_smoke_runs_through_the_cli_and_logs_figures(in_tmp, capsys, tracking_uri):
    assert run() == 0
    out = capsys.readouterr().out
    assert "top10/purity" in out and "window/stream_stars" in out
    run_id = next(line.split()[-1] for line in out.splitlines() if line.startswith("run id:"))
    client = MlflowClient(tracking_uri)
    run_info = client.get_run(run_id)
    metrics = run_info.data.metrics
    assert 0.0 <= metrics["top10/purity"] <= 1.0
    assert metrics["window/stream_stars"] > 10
    figures = {Path(a.path).name for a in client.list_artifacts(run_info.info.run_id, "figures")}
    assert {"candidates.png", "window.png", "roc.png"} <= figures
    assert 0.0 <= metrics["roc_auc/supervised"] <= 1.0


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    errors = [line for line in err if line.startswith("polymath: error: ")]
    assert len(errors) == 1 and err[-1] == errors[0]
    return errors[0]


def test_a_file_with_the_wrong_number_of_columns(in_tmp, capsys):
    np.save(in_tmp / "bad.npy", np.zeros((50, 7)))
    assert run("data.patch_file=bad.npy") == 1
    assert "expected 10 columns" in one_line_error(capsys)


def test_an_empty_signal_region_or_sideband(in_tmp, capsys):
    stars = np.zeros((100, 10))
    stars[:, 9] = np.linspace(-5, 5, 100)
    save_patch(Patch(stars), in_tmp / "patch.npy")
    window = ["data.patch_file=patch.npy", "data.sr_half=0.001", "data.sb_half=1.0"]
    assert run(*window, "data.window_center=20.0") == 1
    assert "signal region pmlambda in" in one_line_error(capsys)
    window = ["data.patch_file=patch.npy", "data.sr_half=4.99", "data.sb_half=4.995"]
    assert run(*window, "data.window_center=0.0") == 1
    assert "sidebands" in one_line_error(capsys)


def test_more_folds_than_stars(in_tmp, capsys):
    stars = np.zeros((30, 10))
    stars[:, 9] = np.linspace(-1.4, 1.4, 30)
    save_patch(Patch(stars), in_tmp / "patch.npy")
    window = ["data.window_center=0.0", "data.sr_half=0.5", "data.sb_half=1.5"]
    assert run("data.patch_file=patch.npy", *window, "data.n_folds=20") == 1
    assert "20 folds need at least 20 stars of each label" in one_line_error(capsys)


def test_a_patch_without_labels_needs_a_window(in_tmp, capsys):
    save_patch(Patch(np.zeros((30, 10))), in_tmp / "patch.npy")
    assert run("data.patch_file=patch.npy") == 1
    assert "oracle window needs labelled stream stars" in one_line_error(capsys)
