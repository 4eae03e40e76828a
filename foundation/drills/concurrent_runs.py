"""Drill: start several counting-transformers `smoke` runs at once in a folder with no store yet.

    python foundation/drills/concurrent_runs.py [--runs 3] [--rounds 2]

Each round uses a new empty folder, so every run races to create the SQLite store. A run passes
when it exits 0 and its MLflow run is FINISHED. Prints one line per round and the figure; exits 1
unless every run of every round finished.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from mlflow import MlflowClient

sys.path.insert(0, str(Path(__file__).parent))
from _runs import PACKAGE, start

RUN_TIMEOUT_S = 600


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    began = time.monotonic()
    finished_all = 0
    for round_ in range(args.rounds):
        folder = Path(tempfile.mkdtemp(prefix="polymath-drill-concurrent-"))
        processes = [
            start(folder, PACKAGE, "smoke", "trainer.threads=1", "trainer.progress=none")
            for _ in range(args.runs)
        ]
        codes = [process.wait(timeout=RUN_TIMEOUT_S) for process in processes]
        client = MlflowClient(f"sqlite:///{folder}/mlflow.db")
        experiment = client.get_experiment_by_name(PACKAGE)
        runs = client.search_runs([experiment.experiment_id]) if experiment else []
        finished = sum(run.info.status == "FINISHED" for run in runs)
        ok = min(finished, codes.count(0))
        finished_all += ok
        print(
            f"round {round_}: exit codes {codes}, {finished} FINISHED run(s) in {folder}",
            flush=True,
        )
    total = args.runs * args.rounds
    print(
        f"concurrent drill: {finished_all} of {total} first runs in a new folder finished "
        f"({args.rounds} rounds of {args.runs}; {time.monotonic() - began:.0f} s)"
    )
    return 0 if finished_all == total else 1


if __name__ == "__main__":
    sys.exit(main())
