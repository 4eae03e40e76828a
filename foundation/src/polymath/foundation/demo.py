"""The demo: every installed package's quick recipe, then one summary table."""

from __future__ import annotations

import traceback
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from polymath.foundation.contract import discover_packages
from polymath.foundation.runner import run_recipe
from polymath.foundation.tracking import resolve_tracking_uri


@dataclass(frozen=True)
class DemoRow:
    package: str
    recipe: str
    metric: str
    value: str
    paper: str
    seconds: float
    run_id: str


def run_demo(recipe: str = "quick", tracking_uri: str | None = None) -> int:
    """Runs ``recipe`` of every package (one failing package does not stop the others)."""
    console = Console()
    if not console.is_terminal:  # logs and CI: wide enough that the table does not wrap
        console = Console(width=180)
    uri = resolve_tracking_uri(tracking_uri)
    rows: list[DemoRow] = []
    failures = 0
    for name, package in discover_packages().items():
        console.rule(f"{name} · {recipe}")
        chosen = package.recipe(recipe)
        try:
            result = run_recipe(name, recipe, tracking_uri=uri)
        except Exception as error:
            failures += 1
            traceback.print_exc()
            rows.append(
                DemoRow(name, recipe, "FAILED", str(error).splitlines()[0][:60], "", 0.0, "-")
            )
            continue
        metric = chosen.headline or ""
        value = f"{result.metrics[metric]:.4g}" if metric in result.metrics else "-"
        rows.append(
            DemoRow(
                name,
                recipe,
                metric or "-",
                value,
                chosen.paper_value or "-",
                result.seconds,
                result.run_id or "-",
            )
        )
    console.print(_table(rows))
    console.print(f"Tracked in {uri}. Open it with: polymath ui  (then http://127.0.0.1:5000)")
    return 1 if failures else 0


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
