"""Drill: kill counting-transformers runs at random moments, resume them, compare with a whole run.

    python foundation/drills/resume.py [--cycles 20] [--budget-s 1500] [--seed 0] [--workers 0,2]

For each number of DataLoader workers, one uninterrupted `smoke` run (deterministic, one thread)
gives the reference metrics and the duration T from its recipe's start (when the runner writes
run.json) to the process's end. Cycle i reads its stream with the i-th number of workers (in
turn): it starts the same run in a fresh folder, SIGKILLs it at a moment drawn uniformly in [0, T]
after its recipe starts (data, training, validation, test or report), then reruns it with
`trainer.resume=auto` until it completes. A cycle passes when the completed run's final metrics
equal the reference bitwise and no (metric, step) appears twice in its MLflow history.

Prints one line per cycle and the figures; exits 1 unless every cycle run passed. Stops starting
cycles when the time budget is spent (and says how many ran).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from _runs import (
    PACKAGE,
    completed_run_id,
    final_metrics,
    fresh_folder,
    kill,
    migrated_store,
    repeated_steps,
    start,
)

RECIPE = "smoke"
OVERRIDES = (
    "trainer.max_steps=100",
    "trainer.checkpoint_every_n_steps=7",
    "trainer.deterministic=true",
    "trainer.threads=1",
    "trainer.progress=plain",
)
RUN_TIMEOUT_S = 600


def wait_for_recipe(folder: Path, process) -> float:
    """Until the run's recipe starts (the runner writes run.json); returns that moment."""
    runs = folder / "polymath_runs" / PACKAGE / RECIPE
    while not list(runs.glob("*/run.json")):
        if process.poll() is not None:
            raise RuntimeError(f"run in {folder} ended before its recipe started: see log.txt")
        time.sleep(0.05)
    return time.monotonic()


def run_to_end(folder: Path, resume: bool, workers: int) -> float:
    """Runs to its end; returns the seconds from the recipe's start to the process's end."""
    extra = ("trainer.resume=auto",) if resume else ()
    process = start(folder, PACKAGE, RECIPE, *OVERRIDES, f"data.num_workers={workers}", *extra)
    recipe_started = wait_for_recipe(folder, process)
    if process.wait(timeout=RUN_TIMEOUT_S) != 0:
        raise RuntimeError(f"run in {folder} exited with {process.returncode}: see log.txt")
    return time.monotonic() - recipe_started


def checkpoint_step(folder: Path) -> str:
    """The step of the killed run's last checkpoint ("the start" when it left none)."""
    found = list((folder / "polymath_runs").glob(f"{PACKAGE}/{RECIPE}/*/checkpoints/last.ckpt"))
    if not found:
        return "the start"
    return f"step {torch.load(found[0], weights_only=True)['global_step']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--budget-s", type=float, default=1500.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workers", default="0,2", help="DataLoader workers of the cycles, in turn (comma list)"
    )
    args = parser.parse_args()
    worker_counts = [int(part) for part in args.workers.split(",")]
    rng = random.Random(args.seed)
    began = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="polymath-drill-resume-"))
    store = migrated_store()

    references, durations = {}, {}
    for workers in dict.fromkeys(worker_counts):
        reference_folder = fresh_folder(root, f"uninterrupted-{workers}-workers", store)
        durations[workers] = run_to_end(reference_folder, resume=False, workers=workers)
        uri = f"sqlite:///{reference_folder}/mlflow.db"
        reference_id = completed_run_id(reference_folder, RECIPE)
        references[workers] = final_metrics(uri, reference_id)
        print(
            f"uninterrupted run, {workers} workers: {durations[workers]:.1f} s from its recipe's "
            f"start, {len(references[workers])} final metrics, "
            f"{repeated_steps(uri, reference_id)} (metric, step) pairs twice",
            flush=True,
        )

    passed = ran = 0
    for cycle in range(args.cycles):
        if time.monotonic() - began > args.budget_s:
            break
        workers = worker_counts[cycle % len(worker_counts)]
        reference = references[workers]
        folder = fresh_folder(root, f"cycle-{cycle:02d}", store)
        delay = rng.uniform(0.0, 1.0) * durations[workers]
        process = start(folder, PACKAGE, RECIPE, *OVERRIDES, f"data.num_workers={workers}")
        wait_for_recipe(folder, process)
        time.sleep(delay)
        finished_first = process.poll() is not None
        kill(process)
        resumed_from = checkpoint_step(folder)
        run_to_end(folder, resume=True, workers=workers)
        uri = f"sqlite:///{folder}/mlflow.db"
        run_id = completed_run_id(folder, RECIPE)
        metrics = final_metrics(uri, run_id)
        different = sorted(key for key in reference if metrics.get(key) != reference[key])
        repeats = repeated_steps(uri, run_id)
        ok = not different and repeats == 0 and metrics.keys() == reference.keys()
        passed += ok
        ran += 1
        print(
            f"cycle {cycle:2d} ({workers} workers): killed {delay:4.1f} s after its recipe started"
            f"{' (it had ended)' if finished_first else ''}, resumed from {resumed_from}"
            f", {'same metrics' if not different else 'DIFFERENT: ' + ', '.join(different)}"
            f", {repeats} repeated steps",
            flush=True,
        )
    print(
        f"resume drill: {passed} of {ran} killed-and-resumed runs ended at the uninterrupted "
        f"run's metrics with no MLflow step twice ({time.monotonic() - began:.0f} s; folders "
        f"in {root})"
    )
    if ran < args.cycles:
        print(
            f"resume drill: the {args.budget_s:.0f} s budget allowed {ran} of {args.cycles} cycles"
        )
    return 0 if passed == ran and ran > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
