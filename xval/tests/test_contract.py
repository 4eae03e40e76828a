import os
import subprocess
import sys

import pytest

from polymath.foundation import get_package
from polymath.foundation.cli import main
from polymath.xval.package import PACKAGE


def test_package_is_registered_with_its_recipes():
    package = get_package("xval")
    assert package is PACKAGE
    assert {"smoke", "quick", "encodings", "paper"} <= set(package.recipe_names)
    assert package.version == "0.1.0"
    assert package.recipe("quick").run == "polymath.xval.experiments:compare_encodings"


@pytest.mark.timeout(600)
def test_smoke_runs_through_the_cli(in_tmp):
    result = subprocess.run(
        [sys.executable, "-m", "polymath.foundation.cli", "run", "xval", "smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "test/loss" in result.stdout
    assert list(in_tmp.glob("cache/xval/planets-*/scaler.json"))


@pytest.mark.parametrize(
    ("override", "names"),
    [
        ("data.encoding=p100", ["'p100'", "xval, p10, p1000, b1999, fp15"]),
        ("data.task=chess", ["'chess'", "planets", "arithmetic"]),
    ],
)
def test_bad_input_is_one_line_from_the_cli(in_tmp, capsys, monkeypatch, override, names):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{in_tmp / 'mlflow.db'}")
    assert main(["run", "xval", "smoke", override]) == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("polymath: error: ")
    assert all(name in error[-1] for name in names)


def test_a_bad_record_file_is_one_line_from_the_cli(in_tmp, capsys, monkeypatch):
    from polymath.xval.data.arithmetic import generate_arithmetic
    from polymath.xval.data.formats import write_jsonl

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{in_tmp / 'mlflow.db'}")
    write_jsonl(generate_arithmetic(16, 0), in_tmp / "records" / "train.jsonl")
    (in_tmp / "records" / "test.jsonl").write_text('{"expression": "2*3", "result": 6}\n{"ex\n')
    overrides = ["data.task=arithmetic", f"data.records_dir={in_tmp / 'records'}"]
    assert main(["run", "xval", "smoke", *overrides]) == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("polymath: error: ")
    assert "test.jsonl:2: not JSON" in error[-1]


@pytest.mark.parametrize("name", ["smoke", "quick", "encodings", "paper"])
def test_every_recipe_builds_its_modules(name, in_tmp):
    import inspect

    from polymath.xval.data.datamodule import XvalDataModule
    from polymath.xval.experiments import compare_encodings
    from polymath.xval.module import NumformerModule

    config = PACKAGE.recipe(name).config
    NumformerModule(**config["model"])
    experiment = config.get("experiment", {})
    assert set(experiment) <= set(inspect.signature(compare_encodings).parameters)
    for task in experiment.get("tasks", {"default": {}}).values():
        for encoding in experiment.get("encodings", [config["data"].get("encoding", "xval")]):
            XvalDataModule(**{**config["data"], **task, "encoding": encoding})


def test_the_encodings_comparison_logs_its_table_figures_and_model(in_tmp):
    from polymath.foundation import run_recipe

    overrides = [
        "experiment.encodings=[xval, p10]",
        "experiment.continuity_range=[1, 12]",
        "data.n_train=32",
        "data.n_val=8",
        "data.n_test=8",
        "data.n_ood=8",
        "data.batch_size=8",
        "model.d_model=16",
        "model.n_layers=1",
        "trainer.max_steps=3",
        "trainer.val_check_interval=3",
    ]
    result = run_recipe(
        "xval", "quick", overrides, tracking_uri=f"sqlite:///{in_tmp / 'mlflow.db'}"
    )
    for encoding in ("xval", "p10"):
        assert f"multiplication/{encoding}/mse" in result.metrics
        assert f"multiplication/{encoding}/roughness" in result.metrics
    artifacts = {
        p.relative_to(p.parents[1]).as_posix() for p in in_tmp.glob("mlartifacts/*/*/artifacts/*/*")
    }
    assert "figures/continuity_multiplication.png" in artifacts
    assert "tables/encodings.csv" in artifacts
    assert any(a.startswith("model/") for a in artifacts)
