import csv
import io
import subprocess
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow.pytorch
import pytest
import torch
import yaml
from lightning.pytorch.utilities import rank_zero_only
from mlflow import MlflowClient

from polymath.foundation.tracking import (
    broadcast_run_id,
    create_logger,
    installed_versions,
    log_figure,
    log_run_metadata,
    log_table,
    make_run_name,
    register_model,
)

CONFIG = {
    "model": {"lr": 3e-4, "widths": [8, 16], "head": {"kind": "mlp", "dropout": None}},
    "data": {"batch_size": 4, "root": Path("/data/shards")},
    "trainer": {"max_steps": 5},
}


@pytest.fixture
def logger(mlflow_uri: str):
    return create_logger("demo-package", make_run_name("demo-package", "smoke"), mlflow_uri)


def test_run_lives_in_the_package_experiment_with_explicit_artifacts(
    logger, mlflow_uri: str
) -> None:
    client = MlflowClient(mlflow_uri)
    run = client.get_run(logger.run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name == "demo-package"
    store_dir = Path(mlflow_uri.removeprefix("sqlite:///")).parent
    assert experiment.artifact_location == (store_dir / "mlartifacts" / "demo-package").as_uri()
    assert run.info.run_name.startswith("demo-package/smoke/")
    second = create_logger("demo-package", "another", mlflow_uri)
    assert second.experiment_id == experiment.experiment_id
    assert second.run_id != logger.run_id
    attached = create_logger("demo-package", "ignored", mlflow_uri, run_id=logger.run_id)
    attached.log_metrics({"val/loss": 0.5}, step=3)
    assert client.get_run(logger.run_id).data.metrics == {"val/loss": 0.5}


def test_metadata_records_config_versions_and_hardware(logger, mlflow_uri: str) -> None:
    log_run_metadata(logger, CONFIG, world_size=2)
    client = MlflowClient(mlflow_uri)
    data = client.get_run(logger.run_id).data
    assert data.params["model.lr"] == "0.0003"
    assert data.params["model.widths"] == "[8, 16]"
    assert data.params["model.head.dropout"] == "None"
    assert data.params["data.root"] == "/data/shards"
    stored = Path(client.download_artifacts(logger.run_id, "config.yaml"))
    assert yaml.safe_load(stored.read_text())["model"] == CONFIG["model"]
    for name, version in installed_versions().items():
        assert data.tags[f"version.{name}"] == version
    assert {"polymath-foundation", "torch", "lightning", "python"} <= installed_versions().keys()
    assert data.tags["hardware.world_size"] == "2"
    assert data.tags["hardware.accelerator"] in {"cpu", "cuda"}
    assert int(data.tags["hardware.device_count"]) >= 1


def test_many_and_long_params_are_logged_in_batches(logger, mlflow_uri: str) -> None:
    config = {"sweep": {f"p{index:03d}": index for index in range(250)}, "text": "x" * 7000}
    log_run_metadata(logger, config)
    params = MlflowClient(mlflow_uri).get_run(logger.run_id).data.params
    assert sum(key.startswith("sweep.") for key in params) == 250
    assert params["sweep.p249"] == "249"
    assert params["text"] == "x" * 6000


def test_git_commit_and_dirty_flag_inside_a_checkout(
    logger, mlflow_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(checkout)]
    subprocess.run([*git, "init", "-q"], check=True)
    (checkout / "file.txt").write_text("one")
    subprocess.run([*git, "add", "file.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    (checkout / "file.txt").write_text("two")
    monkeypatch.chdir(checkout)
    log_run_metadata(logger, CONFIG)
    tags = MlflowClient(mlflow_uri).get_run(logger.run_id).data.tags
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert tags["git.commit"] == head.strip()
    assert tags["git.dirty"] == "true"


def test_no_git_tags_outside_a_checkout(
    logger, mlflow_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    log_run_metadata(logger, CONFIG)
    tags = MlflowClient(mlflow_uri).get_run(logger.run_id).data.tags
    assert "git.commit" not in tags
    assert "version.torch" in tags


def test_figures_and_tables_are_artifacts(logger, mlflow_uri: str) -> None:
    fig, axes = plt.subplots()
    axes.plot([0, 1], [1, 0])
    log_figure(logger, fig, "loss-curve")
    plt.close(fig)
    rows = [{"size": 1, "acc": 0.5}, {"size": 2, "acc": 0.75, "note": "a|b"}]
    log_table(logger, rows, "sweep")
    client = MlflowClient(mlflow_uri)
    assert [a.path for a in client.list_artifacts(logger.run_id, "figures")] == [
        "figures/loss-curve.png"
    ]
    table = Path(client.download_artifacts(logger.run_id, "tables/sweep.csv")).read_text()
    parsed = list(csv.DictReader(io.StringIO(table)))
    assert parsed == [
        {"size": "1", "acc": "0.5", "note": ""},
        {"size": "2", "acc": "0.75", "note": "a|b"},
    ]
    markdown = Path(client.download_artifacts(logger.run_id, "tables/sweep.md")).read_text()
    assert markdown.splitlines()[0] == "| size | acc | note |"
    assert "a\\|b" in markdown


def test_bad_artifact_names_and_empty_tables_are_refused(logger) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        log_table(logger, [{"a": 1}], "../escape")
    with pytest.raises(ValueError, match="no rows"):
        log_table(logger, [], "empty")


def test_registered_model_loads_back_with_its_package_version(logger, mlflow_uri: str) -> None:
    model = torch.nn.Linear(3, 2)
    first = register_model(logger, model, "demo-linear", "0.1.0")
    second = register_model(logger, model, "demo-linear", "0.1.1")
    assert (int(first.version), int(second.version)) == (1, 2)
    assert second.tags == {"package_version": "0.1.1"}
    loaded = mlflow.pytorch.load_model(f"models:/demo-linear/{first.version}")
    assert torch.equal(loaded.weight, model.weight)
    client = MlflowClient(mlflow_uri)
    assert client.get_model_version("demo-linear", "1").run_id == logger.run_id


def test_logging_is_a_no_op_on_other_ranks(
    logger, mlflow_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = logger.run_id
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    log_run_metadata(logger, CONFIG)
    log_table(logger, [{"a": 1}], "table")
    assert register_model(logger, torch.nn.Linear(1, 1), "never", "0.1.0") is None
    client = MlflowClient(mlflow_uri)
    assert client.get_run(run_id).data.params == {}
    assert client.list_artifacts(run_id) == []


def test_broadcast_gives_rank_zero_run_id_to_every_rank(logger, mlflow_uri: str) -> None:
    run_id = logger.run_id
    sent = []

    def broadcast(obj, src):
        sent.append((obj, src))
        return run_id

    other_rank_logger = create_logger("demo-package", "rank1", mlflow_uri)
    trainer = SimpleNamespace(global_rank=1, strategy=SimpleNamespace(broadcast=broadcast))
    assert broadcast_run_id(trainer, other_rank_logger) == run_id
    assert sent == [(None, 0)]
    assert other_rank_logger.run_id == run_id

    rank_zero = SimpleNamespace(global_rank=0, strategy=SimpleNamespace(broadcast=broadcast))
    assert broadcast_run_id(rank_zero, logger) == run_id
    assert sent[-1] == (run_id, 0)
