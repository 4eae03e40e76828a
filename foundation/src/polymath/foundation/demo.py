"""The demo: every installed package's quick recipe, then one summary table.

With ``jobs`` > 1 the recipes run that many at a time, each in its own process with its share of
the cores (``trainer.threads``) and its output in a log file. Most quick recipes are small models
that a second thread speeds up little, so on a 2-core machine two recipes side by side finish the
demo in about half the time of one after the other.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from polymath.foundation.contract import discover_packages, get_package


@dataclass(frozen=True)
class DemoRow:
    package: str
    recipe: str
    metric: str
    value: str
    paper: str
    seconds: float
    run_id: str


@dataclass(frozen=True)
class _Outcome:
    """What a recipe's run gives back (plain values: it may come from another process)."""

    metrics: dict[str, float] | None
    seconds: float
    run_id: str | None
    error: str | None = None


def run_demo(recipe: str = "quick", tracking_uri: str | None = None, jobs: int = 1) -> int:
    """Runs ``recipe`` of every package, ``jobs`` at a time (one failing does not stop the others)."""
    from polymath.foundation.tracking import resolve_tracking_uri

    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    console = Console()
    if not console.is_terminal:  # logs and CI: wide enough that the table does not wrap
        console = Console(width=180)
    uri = resolve_tracking_uri(tracking_uri)
    packages = discover_packages()
    if jobs == 1:
        outcomes = {}
        for name in packages:
            console.rule(f"{name} · {recipe}")
            outcomes[name] = _run(name, recipe, [], uri)
    else:
        outcomes = _run_side_by_side(list(packages), recipe, uri, jobs, console)
    rows = []
    for name, package in packages.items():
        outcome, chosen = outcomes[name], package.recipe(recipe)
        if outcome.error is not None:
            rows.append(DemoRow(name, recipe, "FAILED", outcome.error[:60], "", 0.0, "-"))
            continue
        metric = chosen.headline or ""
        metrics = outcome.metrics or {}
        value = f"{metrics[metric]:.4g}" if metric in metrics else "-"
        rows.append(
            DemoRow(
                name,
                recipe,
                metric or "-",
                value,
                chosen.paper_value or "-",
                outcome.seconds,
                outcome.run_id or "-",
            )
        )
    console.print(_table(rows))
    console.print(f"Tracked in {uri}. Open it with: polymath ui  (then http://127.0.0.1:5000)")
    return 1 if any(row.metric == "FAILED" for row in rows) else 0


def _run(name: str, recipe: str, overrides: list[str], uri: str) -> _Outcome:
    try:
        get_package(name)  # a missing or broken package fails before torch and MLflow load
        from polymath.foundation.runner import run_recipe

        result = run_recipe(name, recipe, overrides, tracking_uri=uri)
    except (Exception, SystemExit) as error:  # SystemExit: a run stopped by SIGTERM
        traceback.print_exc()
        return _Outcome(None, 0.0, None, str(error).splitlines()[0] if str(error) else repr(error))
    return _Outcome(dict(result.metrics), result.seconds, result.run_id)


def _run_logged(name: str, recipe: str, overrides: list[str], uri: str, log: str) -> None:
    """In its own process: the recipe with stdout and stderr (Python's and C's) sent to ``log``,
    and its outcome written beside it as JSON."""
    sys.stdout.flush(), sys.stderr.flush()
    with open(log, "w") as out:
        os.dup2(out.fileno(), 1), os.dup2(out.fileno(), 2)
    outcome = _run(name, recipe, overrides, uri)
    Path(log).with_suffix(".json").write_text(json.dumps(asdict(outcome)))


def _run_side_by_side(
    names: list[str], recipe: str, uri: str, jobs: int, console: Console
) -> dict[str, _Outcome]:
    """Each recipe in a fresh process (its own torch threads, seeds and MLflow state), ``jobs`` at
    a time, in the packages' order."""
    from polymath.foundation.runner import RUNS_DIR

    logs = Path(RUNS_DIR) / "demo" / time.strftime("%Y%m%dT%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    overrides = [f"trainer.threads={threads}", "trainer.progress=none"]
    console.print(
        f"{len(names)} recipes, {jobs} at a time with {threads} thread(s) each; logs in {logs}/"
    )
    spawn = multiprocessing.get_context("spawn")  # not a fork of the parent's torch threads
    pending, running, outcomes = list(names), {}, {}
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.pop(0)
            log = logs / f"{name}.log"
            process = spawn.Process(
                target=_run_logged, args=(name, recipe, overrides, uri, str(log)), name=name
            )
            process.start()
            running[process.sentinel] = (name, process, log)
            console.print(f"{name} · {recipe}: started  (log: {log})")
        for sentinel in multiprocessing.connection.wait(list(running)):
            name, process, log = running.pop(sentinel)
            process.join()
            result = log.with_suffix(".json")
            outcome = (
                _Outcome(**json.loads(result.read_text()))
                if result.is_file()
                else _Outcome(None, 0.0, None, f"its process ended with code {process.exitcode}")
            )
            outcomes[name] = outcome
            state = f"FAILED ({outcome.error})" if outcome.error else f"{outcome.seconds:.0f} s"
            console.print(f"{name} · {recipe}: {state}")
    return outcomes


def _table(rows: list[DemoRow]) -> Table:
    table = Table(title="polymath demo")
    for column in ("package", "recipe", "key metric", "value", "paper", "time (s)", "run id"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.package,
            row.recipe,
            row.metric,
            row.value,
            row.paper,
            f"{row.seconds:.0f}",
            row.run_id[:12],
        )
    return table
