"""The smoke and gd1 recipes through the ``polymath`` command (gd1 on files the tests write), and
bad input reported in one line."""

from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient
from toy import toy_patch

from polymath.cwola_streams import Patch, save_patch
from polymath.cwola_streams.data import COLUMNS
from polymath.cwola_streams.features import fiducial_cuts
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
    assert 0.0 <= metrics["roc_auc/field_sr_vs_sb"] <= 1.0
    # ±1σ against ±3σ of a near-Gaussian stream over a smooth field: about 4 times richer in the SR.
    assert metrics["window/enrichment"] > 2.0


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


def write_gd1_files(directory: Path) -> int:
    """Two overlapping 10-column patches (as published: no stream column) and a member CSV.

    Returns the number of distinct members that pass the fiducial cuts in either patch.
    """
    first = toy_patch(n_field=1500, n_stream=120, seed=0)
    second_own = toy_patch(n_field=1500, n_stream=120, seed=1)
    shared = np.r_[
        np.arange(0, 1500, 3), np.arange(1500, 1620, 2)
    ]  # a third of the field, half the stream
    second = Patch(
        np.r_[second_own.stars, first.stars[shared]],
        np.r_[second_own.is_stream, first.is_stream[shared]],
    )
    np.save(directory / "patch_0.npy", first.stars)
    np.save(directory / "patch_1.npy", second.stars)
    members = np.r_[first.stars[first.is_stream], second_own.stars[second_own.is_stream]]
    columns = [COLUMNS.index(name) for name in ("ra", "dec", "pmra", "pmdec")]
    table = np.column_stack([np.arange(len(members)), members[:, columns]])
    np.savetxt(
        directory / "members.csv",
        table,
        delimiter=",",
        header="source_id,ra,dec,pmra,pmdec",
        comments="",
    )
    passing = [p.select(p.is_stream & fiducial_cuts(p)) for p in (first, second_own)]
    return sum(len(p) for p in passing)


def test_gd1_pipeline_on_written_files(in_tmp, capsys, tracking_uri):
    labelled = write_gd1_files(in_tmp)
    tiny = ["model.hidden=[16, 16]", "data.n_folds=3", "data.repeats=1", "data.batch_size=128"]
    tiny += [
        "trainer.max_epochs=20",
        "trainer.progress=none",
        "model.lr=0.003",
        "experiment.top=30",
    ]
    files = [
        "experiment.patch_files=[patch_0.npy, patch_1.npy]",
        "experiment.members_file=members.csv",
    ]
    assert main(["run", "cwola-streams", "gd1", *files, *tiny]) == 0
    out = capsys.readouterr().out
    run_id = next(line.split()[-1] for line in out.splitlines() if line.startswith("run id:"))
    metrics = MlflowClient(tracking_uri).get_run(run_id).data.metrics
    # Top 30 per patch, pooled with duplicates; then KMeans and one copy of each star.
    assert metrics["before_cluster/selected"] == 60
    assert metrics["selected/selected"] < 60
    # Completeness counts each labelled member once, though the patches share some.
    assert metrics["selected/matched"] / metrics["selected/completeness"] == pytest.approx(labelled)
    # Chance is about 0.3 (the stream's share of the window's stars that pass the cuts).
    assert metrics["selected/purity"] > 0.5


def test_gd1_without_its_files_is_one_line(in_tmp, capsys):
    assert main(["run", "cwola-streams", "gd1", "trainer.max_epochs=1"]) == 1
    assert "needs experiment.patch_files" in one_line_error(capsys)
