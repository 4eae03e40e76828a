"""What the drills share: starting `polymath run` in a folder, and reading its runs back."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from mlflow import MlflowClient

PACKAGE = "counting-transformers"


def polymath_command(*words: str) -> list[str]:
    """`polymath ...`: the console script beside this interpreter (no activated venv needed)."""
    script = Path(sys.executable).parent / "polymath"
    if script.is_file():
        return [str(script), *words]
    return [
        sys.executable,
        "-c",
        "import sys; from polymath.foundation.cli import main; sys.exit(main())",
        *words,
    ]


def environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    return {**env, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **extra}


def start(folder: Path, *words: str, **env: str) -> subprocess.Popen:
    """`polymath run ...` in `folder`, in its own process group, output to `folder/log.txt`."""
    log = (folder / "log.txt").open("ab")
    return subprocess.Popen(
        polymath_command("run", *words),
        cwd=folder,
        env=environment(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    process.wait()


def migrated_store() -> Path:
    """A migrated empty SQLite store to copy into each folder (migrations take seconds)."""
    folder = Path(tempfile.mkdtemp(prefix="polymath-drill-store-"))
    MlflowClient(f"sqlite:///{folder}/mlflow.db").search_experiments()
    return folder / "mlflow.db"


def fresh_folder(root: Path, name: str, store: Path | None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    if store is not None:
        shutil.copyfile(store, folder / "mlflow.db")
    return folder


def completed_run_id(folder: Path, recipe: str) -> str | None:
    """The MLflow run id of the run that completed in `folder` (the runner marks it COMPLETED)."""
    runs = folder / "polymath_runs" / PACKAGE / recipe
    for workdir in sorted(runs.iterdir()) if runs.is_dir() else []:
        if (workdir / "COMPLETED").exists() and (workdir / "run.json").is_file():
            import json

            return json.loads((workdir / "run.json").read_text())["run_id"]
    return None


def final_metrics(uri: str, run_id: str) -> dict[str, float]:
    """The run's last value of every metric, apart from its wall time."""
    metrics = MlflowClient(uri).get_run(run_id).data.metrics
    return {key: value for key, value in metrics.items() if key != "run/seconds"}


def repeated_steps(uri: str, run_id: str) -> int:
    """How many (metric, step) pairs appear more than once in the run's history.

    `epoch` is left out: Lightning logs it with the training and again with the validation metrics
    of a step that validates, in any run.
    """
    client = MlflowClient(uri)
    repeats = 0
    for key in client.get_run(run_id).data.metrics:
        if key == "epoch":
            continue
        counts = Counter(metric.step for metric in client.get_metric_history(run_id, key))
        repeats += sum(count - 1 for count in counts.values())
    return repeats
