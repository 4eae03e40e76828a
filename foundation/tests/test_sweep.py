import json
import shutil

import pytest
from mlflow import MlflowClient

from polymath.foundation import ConfigError, run_recipe
from polymath.foundation.runner import COMPLETED_FILE
from polymath.foundation.sweep import SweepSpec, summarise

pytestmark = pytest.mark.usefixtures("example_site", "in_tmp")

GRID = {"grid": {"model.lr": [0.01, 0.1], "trainer.seed": [0, 1]}, "over": "trainer.seed",
        "metric": "test/loss", "mode": "min"}  # fmt: skip


def children(uri: str, parent: str) -> list:
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("example").experiment_id
    return client.search_runs([experiment], filter_string=f"tags.mlflow.parentRunId = '{parent}'")


def test_points_are_the_grid_in_order_and_the_summary_groups_over_the_axis():
    spec = SweepSpec.from_mapping(GRID)
    assert spec.points() == [
        {"model.lr": 0.01, "trainer.seed": 0},
        {"model.lr": 0.01, "trainer.seed": 1},
        {"model.lr": 0.1, "trainer.seed": 0},
        {"model.lr": 0.1, "trainer.seed": 1},
    ]
    rows = [{**point, "test/loss": loss} for point, loss in zip(spec.points(), [1, 3, 0.5, 0.5])]
    summary = summarise(spec, rows)
    assert summary == [
        {"model.lr": 0.01, "points": 2, "mean": 2.0, "std": pytest.approx(2**0.5), "best": 1.0},
        {"model.lr": 0.1, "points": 2, "mean": 0.5, "std": 0.0, "best": 0.5},
    ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({**GRID, "over": "model.seed"}, "sweep.over 'model.seed' is not one of the swept keys"),
        ({**GRID, "grid": {"lr": [1]}}, "sweep key 'lr' must be a dotted setting"),
        ({**GRID, "grid": {"model.lr": []}}, "non-empty list"),
        ({**GRID, "mode": "best"}, "sweep.mode must be min or max"),
        ({**GRID, "metrik": "x"}, "unknown sweep key 'metrik'"),
    ],
)
def test_bad_sweep_sections_are_refused(values, message):
    with pytest.raises(ConfigError, match=message):
        SweepSpec.from_mapping(values)


def test_a_sweep_is_a_parent_run_with_a_child_per_point_and_resumes(mlflow_uri):
    result = run_recipe("example", "sweep", tracking_uri=mlflow_uri)
    client = MlflowClient(mlflow_uri)
    parent = client.get_run(result.run_id)
    assert parent.info.status == "FINISHED"
    assert "best/test/loss" in parent.data.metrics
    tables = {a.path.split("/")[-1] for a in client.list_artifacts(result.run_id, "tables")}
    assert {"sweep_points.csv", "sweep_summary.md"} <= tables
    assert [a.path for a in client.list_artifacts(result.run_id, "figures")] == [
        "figures/sweep_summary.png"
    ]
    kids = children(mlflow_uri, result.run_id)
    assert len(kids) == 4 and all(kid.info.status == "FINISHED" for kid in kids)
    assert all("test/loss" in kid.data.metrics for kid in kids)
    assert {kid.data.params["model.lr"] for kid in kids} == {"0.01", "0.1"}
    assert all(
        any(a.path == "model" for a in client.list_artifacts(kid.info.run_id)) for kid in kids
    )

    # as if killed during point 2: it and the parent are unfinished; points 0 and 1 are done
    (result.workdir / COMPLETED_FILE).unlink()
    (result.workdir / "point-002" / COMPLETED_FILE).unlink()
    shutil.rmtree(result.workdir / "point-003")
    again = run_recipe("example", "sweep", ["trainer.resume=auto"], tracking_uri=mlflow_uri)
    assert again.run_id == result.run_id
    kids_after = children(mlflow_uri, result.run_id)
    assert len(kids_after) == 5  # point 3 started afresh; point 2 continued in its own run
    rows = json.loads((again.workdir / "metrics.json").read_text())
    assert rows["best/test/loss"] == again.metrics["best/test/loss"]


def test_points_of_a_job_array_share_one_parent(mlflow_uri, monkeypatch):
    monkeypatch.setenv("POLYMATH_SWEEP_ID", "job-7")
    results = [
        run_recipe("example", "sweep", [f"experiment.point={k}"], tracking_uri=mlflow_uri)
        for k in (3, 0, 2)
    ]
    assert len({r.run_id for r in results}) == 1
    parent = results[0].run_id
    assert MlflowClient(mlflow_uri).get_run(parent).info.status == "RUNNING"
    last = run_recipe("example", "sweep", ["experiment.point=1"], tracking_uri=mlflow_uri)
    assert last.run_id == parent and "best/test/loss" in last.metrics
    assert MlflowClient(mlflow_uri).get_run(parent).info.status == "FINISHED"
    assert len(children(mlflow_uri, parent)) == 4


def test_a_single_point_needs_a_sweep_id_and_a_valid_index(mlflow_uri, monkeypatch):
    monkeypatch.delenv("POLYMATH_SWEEP_ID", raising=False)
    monkeypatch.delenv("SLURM_ARRAY_JOB_ID", raising=False)
    with pytest.raises(ConfigError, match="needs POLYMATH_SWEEP_ID"):
        run_recipe("example", "sweep", ["experiment.point=0"], tracking_uri=mlflow_uri)
    monkeypatch.setenv("POLYMATH_SWEEP_ID", "x")
    with pytest.raises(ConfigError, match="experiment.point must be from 0 to 3, not 9"):
        run_recipe("example", "sweep", ["experiment.point=9"], tracking_uri=mlflow_uri)


def test_a_sweep_over_one_numeric_setting_is_drawn_as_curves_and_others_as_bars():
    from polymath.foundation.sweep import summary_figure

    grid = {"model.architecture": ["a", "b"], "data.train_size": [100, 300, 1000],
            "trainer.seed": [0, 1]}  # fmt: skip
    spec = SweepSpec.from_mapping(
        {"grid": grid, "over": "trainer.seed", "metric": "test/auc", "mode": "max"}
    )
    rows = [{**point, "test/auc": 0.5 + point["data.train_size"] / 1e4} for point in spec.points()]
    axis = summary_figure(spec, summarise(spec, rows)).axes[0]
    assert axis.get_xscale() == "log" and axis.get_xlabel() == "data.train_size"
    assert sorted(text.get_text() for text in axis.get_legend().get_texts()) == [
        "architecture=a",
        "architecture=b",
    ]
    plain = SweepSpec.from_mapping(GRID)
    plain_rows = [{**point, "test/loss": 1.0} for point in plain.points()]
    bars = summary_figure(plain, summarise(plain, plain_rows)).axes[0]
    assert len(bars.patches) == 2 and bars.get_xscale() == "linear"
