"""Drill: stop the MLflow tracking server under a training run, then bring it back, or not.

    python foundation/drills/outage.py [--down-s 15]

A real `mlflow server` on 127.0.0.1 tracks counting-transformers `smoke` runs:

1. Back after --down-s seconds: the server is killed at training step 100 and restarted on the
   same port and store (the run's patience is 300 s, for a slow restart). Passes when the run finishes (exit 0, FINISHED) and its history holds
   every logged training step once.
2. Gone for good: the server is killed at step 100 of an endless run. Passes when the run stops
   by itself (default patience, 45 s) within 60 s with a one-line message naming the server, no traceback, and a checkpoint
   later than step 100. The server then returns and the run is resumed to step +20: it must end
   FINISHED, with the records the outage left unsent, and no step twice.

Prints the figures; exits 1 unless both pass.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import torch
from mlflow import MlflowClient

sys.path.insert(0, str(Path(__file__).parent))
import itertools

from _runs import (
    PACKAGE,
    environment,
    kill,
    migrated_store,
    repeated_steps,
    start,
)

LOG_EVERY = 5
MESSAGE_LIMIT_S = 60.0
PATIENCE_BACK_S = 300.0
"""Patience of the run whose server comes back: a loaded machine restarts a server slowly."""


class Server:
    def __init__(self, folder: Path, store: Path) -> None:
        self.folder = folder
        shutil.copyfile(store, folder / "server.db")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{self.folder / 'server.db'}",
            "--artifacts-destination", str(self.folder / "server-artifacts"),
            "--serve-artifacts", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]  # fmt: skip
        env = environment(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
        with (self.folder / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.uri}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"mlflow server at {self.uri} did not start; see {self.folder}")

    def stop(self) -> None:
        if self.process is not None:
            kill(self.process)
            self.process = None


def wait_for_step(folder: Path, process: subprocess.Popen, step: int) -> None:
    """Until the run's plain progress shows training step `step`."""
    log = folder / "log.txt"
    while process.poll() is None:
        if f" step {step}/" in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the run ended before step {step}: see {log}")


def run_id_of(folder: Path) -> str:
    import json

    (run_json,) = (folder / "polymath_runs" / PACKAGE / "smoke").glob("*/run.json")
    return json.loads(run_json.read_text())["run_id"]


def logged_steps(uri: str, run_id: str) -> list[int]:
    return sorted(m.step for m in MlflowClient(uri).get_metric_history(run_id, "train/loss"))


def back_again(root: Path, server: Server, down_s: float) -> bool:
    folder = root / "back-again"
    folder.mkdir()
    steps = 1500
    overrides = (f"trainer.max_steps={steps}", f"trainer.log_every_n_steps={LOG_EVERY}")
    process = start(folder, PACKAGE, "smoke", *overrides, "trainer.progress=plain",
                    "trainer.threads=1", "--tracking-uri", server.uri,
                    POLYMATH_TRACKING_PATIENCE=str(PATIENCE_BACK_S))  # fmt: skip
    wait_for_step(folder, process, 100)
    server.stop()
    stopped = time.monotonic()
    time.sleep(down_s)
    server.start()
    code = process.wait(timeout=900)
    run_id = run_id_of(folder)
    client = MlflowClient(server.uri)
    status = client.get_run(run_id).info.status
    logged = logged_steps(server.uri, run_id)
    gaps = sum(b - a != LOG_EVERY for a, b in itertools.pairwise(logged))
    ok = code == 0 and status == "FINISHED" and gaps == 0 and logged[-1] >= steps - LOG_EVERY
    print(
        f"outage drill, server back after {time.monotonic() - stopped:.0f} s: exit {code}, "
        f"{status}, {len(logged)} logged training steps up to {logged[-1]}, {gaps} gaps or "
        f"repeats",
        flush=True,
    )
    return ok


def gone_for_good(root: Path, server: Server) -> bool:
    folder = root / "gone"
    folder.mkdir()
    overrides = ("trainer.max_steps=1000000", f"trainer.log_every_n_steps={LOG_EVERY}",
                 "trainer.progress=plain", "trainer.threads=1")  # fmt: skip
    process = start(folder, PACKAGE, "smoke", *overrides, "--tracking-uri", server.uri)
    wait_for_step(folder, process, 100)
    server.stop()
    stopped = time.monotonic()
    try:
        code = process.wait(timeout=300)
    except subprocess.TimeoutExpired:
        kill(process)
        code = None
    waited = time.monotonic() - stopped
    output = (folder / "log.txt").read_text(errors="replace").splitlines()
    message = next((line for line in reversed(output) if server.uri in line), "")
    (checkpoint,) = (folder / "polymath_runs" / PACKAGE / "smoke").glob("*/checkpoints/last.ckpt")
    step = torch.load(checkpoint, weights_only=False)["global_step"]
    stopped_ok = (
        code not in (0, None)
        and waited <= MESSAGE_LIMIT_S
        and bool(message)
        and not any("Traceback" in line for line in output)
        and step > 100
    )
    print(
        f"outage drill, server gone: stopped after {waited:.0f} s (exit {code}), checkpoint at "
        f"step {step}, message: {message.strip()!r}",
        flush=True,
    )

    server.start()
    resumed = start(folder, PACKAGE, "smoke", *overrides[1:], f"trainer.max_steps={step + 20}",
                    "trainer.resume=auto", "--tracking-uri", server.uri)  # fmt: skip
    code = resumed.wait(timeout=600)
    run_id = run_id_of(folder)
    status = MlflowClient(server.uri).get_run(run_id).info.status
    repeats = repeated_steps(server.uri, run_id)
    logged = logged_steps(server.uri, run_id)
    resumed_ok = code == 0 and status == "FINISHED" and repeats == 0
    print(
        f"outage drill, resumed when the server returned: exit {code}, {status}, "
        f"{len(logged)} logged training steps up to {max(logged, default=0)}, {repeats} twice",
        flush=True,
    )
    return stopped_ok and resumed_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down-s", type=float, default=15.0)
    args = parser.parse_args()
    began = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="polymath-drill-outage-"))
    server = Server(root, migrated_store())
    server.start()
    try:
        first = back_again(root, server, args.down_s)
        second = gone_for_good(root, server)
    finally:
        server.stop()
    print(
        f"outage drill: server back {'passed' if first else 'FAILED'}, server gone "
        f"{'passed' if second else 'FAILED'} ({time.monotonic() - began:.0f} s; folders in {root})"
    )
    return 0 if first and second else 1


if __name__ == "__main__":
    sys.exit(main())
