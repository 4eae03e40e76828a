"""Sweeps: the points of a recipe's ``sweep:`` section and the summary of their results.

A sweep is one MLflow parent run with one child run per point (see ``runner.run_sweep``); this
module knows the grid, the summary table (mean, std and best over the ``over`` axis) and its figure.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from polymath.foundation.config import SECTIONS, ConfigError

SWEEP_KEYS = ("grid", "points", "over", "metric", "mode")


@dataclass(frozen=True)
class SweepSpec:
    """``grid`` (every combination) or ``points`` (a list), summarised over ``over`` by ``metric``."""

    grid: Mapping[str, Sequence[Any]] | None
    explicit: Sequence[Mapping[str, Any]] | None
    over: str | None
    metric: str
    mode: Literal["min", "max"]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SweepSpec:
        unknown = sorted(set(values) - set(SWEEP_KEYS))
        if unknown:
            raise ConfigError(f"unknown sweep key {unknown[0]!r} (known: {', '.join(SWEEP_KEYS)})")
        grid, explicit = values.get("grid"), values.get("points")
        if (grid is None) == (explicit is None):
            raise ConfigError("a sweep has either a grid or a list of points")
        if grid is not None:
            if not isinstance(grid, Mapping) or not grid:
                raise ConfigError("sweep.grid must map dotted keys to lists of values")
            for key, choices in grid.items():
                _check_key(key)
                if not isinstance(choices, list) or not choices:
                    raise ConfigError(f"sweep.grid.{key} must be a non-empty list of values")
        else:
            if not isinstance(explicit, list) or not explicit:
                raise ConfigError("sweep.points must be a non-empty list of mappings")
            for point in explicit:
                if not isinstance(point, Mapping):
                    raise ConfigError(f"sweep.points: {point!r} is not a mapping of dotted keys")
                for key in point:
                    _check_key(key)
        over = values.get("over")
        axes = list(grid) if grid is not None else [k for p in explicit for k in p]
        if over is not None and over not in axes:
            raise ConfigError(
                f"sweep.over {over!r} is not one of the swept keys ({', '.join(axes)})"
            )
        metric = values.get("metric")
        if not isinstance(metric, str) or not metric:
            raise ConfigError("sweep.metric must name the metric to summarise, e.g. test/loss")
        mode = values.get("mode", "min")
        if mode not in ("min", "max"):
            raise ConfigError(f"sweep.mode must be min or max, not {mode!r}")
        return cls(grid, explicit, over, metric, mode)

    def points(self) -> list[dict[str, Any]]:
        """Every point as dotted key -> value, in a fixed order (the grid's last key varies fastest)."""
        if self.explicit is not None:
            return [dict(point) for point in self.explicit]
        keys = list(self.grid or {})
        return [
            dict(zip(keys, values, strict=True))
            for values in itertools.product(*(self.grid[key] for key in keys))
        ]

    @property
    def axes(self) -> list[str]:
        return list(dict.fromkeys(key for point in self.points() for key in point))


def _check_key(key: Any) -> None:
    parts = str(key).split(".")
    if len(parts) < 2 or parts[0] not in SECTIONS or not all(parts):
        raise ConfigError(
            f"sweep key {key!r} must be a dotted setting such as model.lr or trainer.seed"
        )


def summarise(spec: SweepSpec, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per group of points that differ only in ``over``: count, mean, std and best."""
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    keys = [key for key in spec.axes if key != spec.over]
    for row in rows:
        if spec.metric in row:
            groups.setdefault(tuple(str(row.get(key)) for key in keys), []).append(row)
    best = max if spec.mode == "max" else min
    summary = []
    for members in groups.values():
        values = [float(member[spec.metric]) for member in members]
        entry: dict[str, Any] = {key: members[0].get(key) for key in keys}
        entry |= {
            "points": len(values),
            "mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "best": best(values),
        }
        summary.append(entry)
    return summary


def best_row(spec: SweepSpec, rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    scored = [row for row in rows if spec.metric in row]
    if not scored:
        return None
    pick = max if spec.mode == "max" else min
    return pick(scored, key=lambda row: float(row[spec.metric]))


def _numeric_axis(keys: Sequence[str], summary: Sequence[Mapping[str, Any]]) -> str | None:
    """The one key whose values are all numbers with at least three distinct values, if exactly one is."""
    numeric = [
        key
        for key in keys
        if all(
            isinstance(row[key], int | float) and not isinstance(row[key], bool) for row in summary
        )
        and len({row[key] for row in summary}) >= 3
    ]
    return numeric[0] if len(numeric) == 1 and len(keys) <= 2 else None


def summary_figure(spec: SweepSpec, summary: Sequence[Mapping[str, Any]]) -> Any:
    """Mean ± std of the metric per group, the best point of each group marked.

    A sweep over one numeric setting (a training-set size, a learning rate), optionally crossed with
    one other setting, is drawn as curves against it (logarithmic when it spans a factor of 10 or
    more): a learning curve reads better than bars. Any other sweep is drawn as bars.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [key for key in spec.axes if key != spec.over]
    over = f" over {spec.over}" if spec.over else ""
    numeric = _numeric_axis(keys, summary)
    if numeric is not None:
        fig, axis = plt.subplots(figsize=(6, 4))
        other = next((key for key in keys if key != numeric), None)
        groups: dict[Any, list[Mapping[str, Any]]] = {}
        for row in summary:
            groups.setdefault(row[other] if other else None, []).append(row)
        for label, rows in groups.items():
            rows = sorted(rows, key=lambda row: row[numeric])
            axis.errorbar([row[numeric] for row in rows], [row["mean"] for row in rows],
                          yerr=[row["std"] for row in rows], marker="o", capsize=3,
                          label=f"{other.split('.')[-1]}={label}" if other else "mean ± std")  # fmt: skip
        values = [row[numeric] for row in summary]
        if min(values) > 0 and max(values) >= 10 * min(values):
            axis.set_xscale("log")
        axis.set(
            xlabel=numeric, ylabel=spec.metric, title=f"sweep: {spec.metric} (mean ± std{over})"
        )
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
        fig.tight_layout()
        return fig
    labels = [", ".join(f"{k.split('.')[-1]}={row[k]}" for k in keys) or "all" for row in summary]
    fig, axis = plt.subplots(figsize=(max(5.0, 0.6 * len(summary) + 2), 4))
    positions = range(len(summary))
    axis.bar(positions, [row["mean"] for row in summary], yerr=[row["std"] for row in summary],
             color="tab:blue", alpha=0.7, capsize=3, label="mean ± std")  # fmt: skip
    axis.scatter(positions, [row["best"] for row in summary], color="black", marker="_", s=200,
                 label="best", zorder=3)  # fmt: skip
    axis.set_xticks(list(positions))
    axis.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    axis.set(ylabel=spec.metric, title=f"sweep: {spec.metric}{over}")
    axis.legend(fontsize=8)
    fig.tight_layout()
    return fig
