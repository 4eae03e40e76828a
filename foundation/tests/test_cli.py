import os
import socket
import subprocess
import sys

import pytest

from polymath.foundation.cli import main

pytestmark = pytest.mark.usefixtures("in_tmp")


def polymath(*args: str, site=None, env=None, timeout: float = 120) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {})}
    if site is not None:
        environment["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, "-m", "polymath.foundation.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_one_line_error(result: subprocess.CompletedProcess, text: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and text in lines[0], result.stderr


def test_list_shows_packages_versions_ranges_and_recipes(example_site):
    result = polymath("list", site=example_site)
    assert result.returncode == 0, result.stderr
    assert (
        "example" in result.stdout and "0.0.1" in result.stdout and "<0.2,>=0.1.0" in result.stdout
    )
    assert "smoke" in result.stdout and "paper" in result.stdout


def test_run_prints_run_id_store_and_metrics(example_site, mlflow_uri):
    result = polymath(
        "run",
        "example",
        "smoke",
        "trainer.max_steps=4",
        "--tracking-uri",
        mlflow_uri,
        site=example_site,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "run id:" in result.stdout and mlflow_uri in result.stdout and "test/loss" in result.stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "nope", "smoke"), "unknown package 'nope'"),
        (("run", "example", "fast"), "no recipe 'fast'"),
        (("run", "example", "smoke", "model.lrr=1"), "unknown config key 'model.lrr'"),
        (("run", "example", "smoke", "model.lr"), "expected KEY.PATH=VALUE"),
        (("run", "example", "smoke", "trainer.strategy=horovod"), "unknown strategy 'horovod'"),
        (("fit", "example", "--config", "missing.yaml"), "config file not found: missing.yaml"),
        (("run", "example", "smoke", "data.batch_size=0"), "batch_size"),
    ],
)
def test_errors_are_one_line_without_traceback(example_site, capsys, args, message):
    assert main(list(args)) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("polymath: error: ")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in err


def test_unreachable_tracking_server_fails_before_training(example_site):
    uri = f"http://127.0.0.1:{_free_port()}"
    result = polymath(
        "run", "example", "smoke", site=example_site, env={"MLFLOW_TRACKING_URI": uri}
    )
    assert_one_line_error(result, "unreachable")
    assert not os.path.exists("polymath_runs")


def test_usage_errors_exit_non_zero():
    result = polymath("frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_fit_runs_lightning_cli_from_a_config_file(example_site, mlflow_uri, tmp_path):
    from mlflow import MlflowClient

    config = tmp_path / "fit.yaml"
    config.write_text(
        "model:\n  lr: 0.05\ndata:\n  samples: 64\ntrainer:\n  max_steps: 3\n  enable_progress_bar: false\n"
    )
    result = polymath(
        "fit",
        "example",
        "--config",
        str(config),
        "--trainer.max_steps=2",
        "--tracking-uri",
        mlflow_uri,
        site=example_site,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    client = MlflowClient(mlflow_uri)
    runs = client.search_runs([client.get_experiment_by_name("example").experiment_id])
    assert len(runs) == 1
    assert runs[0].data.params["model.lr"] == "0.05"
    assert runs[0].data.params["trainer.max_steps"] == "2"


def test_ui_serves_the_default_store_on_loopback(monkeypatch, in_tmp):
    calls = []
    monkeypatch.setattr(os, "execvp", lambda program, command: calls.append(command))
    assert main(["ui", "--port", "5123"]) == 0
    command = calls[0]
    assert command[:2] == ["mlflow", "ui"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "5123"
    assert command[command.index("--backend-store-uri") + 1] == f"sqlite:///{in_tmp}/mlflow.db"
