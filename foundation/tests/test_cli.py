import os
import socket
import subprocess
import sys
import textwrap

import pytest
import yaml

from polymath.foundation.cli import main

pytestmark = pytest.mark.usefixtures("in_tmp")

NOISE = ("💡 Tip", "Seed set to", "_pytree", "LeafSpec", "GPU available")


def polymath(*args: str, site=None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The command as a real process: for what only a fresh interpreter shows."""
    environment = dict(os.environ)
    if site is not None:
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(site), environment.get("PYTHONPATH")])
        )
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


def test_list_shows_packages_versions_ranges_and_recipes(example_site):
    result = polymath("list", site=example_site)
    assert result.returncode == 0, result.stderr
    assert "example" in result.stdout and "0.0.1" in result.stdout
    assert "<0.3,>=0.2.0" in result.stdout
    assert "smoke        linear regression, 8 steps" in result.stdout


LIGHT = """
import sys
from importlib.metadata import entry_points

from polymath.foundation import contract
contract.entry_points = lambda group: [e for e in entry_points(group=group) if e.name == "example"]
from polymath.foundation.cli import main

try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("torch", "lightning", "mlflow", "jsonargparse", "matplotlib", "polymath.example.module")
print("HEAVY:", sorted(name for name in heavy if name in sys.modules))
"""


@pytest.mark.parametrize("args", [["list"], ["--help"], ["run", "--help"]])
def test_help_and_list_import_neither_lightning_nor_mlflow_nor_models(example_site, args):
    path = os.pathsep.join(filter(None, [str(example_site), os.environ.get("PYTHONPATH")]))
    environment = {**os.environ, "PYTHONPATH": path}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(LIGHT), *args],
        capture_output=True, text=True, env=environment, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "HEAVY: []" in result.stdout, result.stdout


def test_run_prints_run_id_store_and_metrics_and_no_library_noise(example_site, mlflow_uri, capfd):
    """In this process; capfd sees what reaches the terminal, library log handlers included."""
    code = main(["run", "example", "smoke", "trainer.max_steps=4", "--tracking-uri", mlflow_uri])
    out, err = capfd.readouterr()
    assert code == 0, err
    assert "run id:" in out and mlflow_uri in out
    assert "test/loss" in out
    assert not [noise for noise in NOISE if noise in out + err], out + err


def test_print_config_prints_the_resolved_yaml_that_runs_again(
    example_site, mlflow_uri, tmp_path, capsys
):
    args = ["run", "example", "smoke", "--print-config", "model.optimizer=sgd", "trainer.max_steps=2e3"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    config = yaml.safe_load(printed)
    assert config["model"]["optimizer"] == "sgd" and config["trainer"]["max_steps"] == 2000
    assert config["data"]["seed"] == 0 and config["recipe"] == "smoke"
    saved = tmp_path / "saved.yaml"
    saved.write_text(printed)
    assert main(["fit", "example", "--config", str(saved), "trainer.max_steps=3",
                 "--tracking-uri", mlflow_uri]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "test/loss" not in out and "train/loss" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "nope", "smoke"), "unknown package 'nope'"),
        (("run", "example", "fast"), "no recipe 'fast'"),
        (("run", "example", "smoke", "model.lrr=1"), "unknown setting model.lrr"),
        (("run", "example", "smoke", "model.n_heads=2"), "unknown setting model.n_heads"),
        (("run", "example", "smoke", "model.lr"), "expected KEY.PATH=VALUE"),
        (("run", "example", "smoke", "model.optimizer=nan"), "expected one of adam, sgd"),
        (
            ("run", "example", "smoke", "trainer.strategy=horovod"),
            "expected one of auto, ddp, fsdp",
        ),
        (("run", "example", "smoke", "trainer.max_steps=abc"), "trainer.max_steps: expected int"),
        (("run", "example", "--config", "missing.yaml"), "config file not found: missing.yaml"),
        (("run", "example"), "name a recipe"),
        (("run", "example", "smoke", "data.batch_size=0"), "batch_size must be >= 1"),
        (("evaluate", "example", "--model", "nothing"), "cannot load a model from 'nothing'"),
    ],
)
def test_errors_are_one_line_without_traceback(example_site, capsys, args, message):
    assert main(list(args)) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("polymath: error: ")]
    assert len(errors) == 1 and message in errors[0], err
    assert "Traceback" not in err


def test_unreachable_tracking_server_fails_before_training(example_site, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{_free_port()}")
    assert main(["run", "example", "smoke"]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("polymath: error: ")]
    assert len(errors) == 1 and "unreachable" in errors[0], err
    assert "Traceback" not in err
    assert not os.path.exists("polymath_runs")


def test_usage_errors_exit_non_zero():
    result = polymath("frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_ui_serves_the_default_store_on_loopback(monkeypatch, in_tmp):
    calls = []
    monkeypatch.setattr(os, "execvp", lambda program, command: calls.append(command))
    assert main(["ui", "--port", "5123"]) == 0
    command = calls[0]
    assert command[:2] == ["mlflow", "ui"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "5123"
    assert command[command.index("--backend-store-uri") + 1] == f"sqlite:///{in_tmp}/mlflow.db"
