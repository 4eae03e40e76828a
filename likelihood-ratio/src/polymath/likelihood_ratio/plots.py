"""Figures of the paper: ratio against the exact one, 2D error maps, MAE against a scanned value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def ratio_curve(x: np.ndarray, exact: np.ndarray, estimates: Mapping[str, np.ndarray]) -> Figure:
    """Ensemble-mean ratio (band: ± one member std) against the exact one, and their quotient.

    ``estimates`` maps a label to the members' ratios on ``x``, shaped (members, len(x)).
    """
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(6.4, 5.6), sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    top.plot(x, exact, color="black", linewidth=2, label="exact")
    for label, ratios in estimates.items():
        mean, std = ratios.mean(0), ratios.std(0)
        (line,) = top.plot(x, mean, label=label)
        top.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2)
        bottom.plot(x, mean / exact, color=line.get_color())
    bottom.axhline(1.0, color="black", linewidth=1)
    top.set_ylabel("likelihood ratio")
    top.legend(fontsize="small")
    bottom.set_ylabel("estimate / exact")
    bottom.set_ylim(0.8, 1.2)
    bottom.set_xlabel("x")
    figure.tight_layout()
    return figure


def error_map(grid: np.ndarray, error: np.ndarray, title: str, limit: float = 0.2) -> Figure:
    """Heat map of (ensemble-mean ratio − exact ratio) on a square 2D grid."""
    figure, axis = plt.subplots(figsize=(5.6, 4.8))
    extent = (grid[0], grid[-1], grid[0], grid[-1])
    image = axis.imshow(
        error, origin="lower", extent=extent, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="equal"
    )
    figure.colorbar(image, ax=axis, label="estimate − exact")
    axis.set_xlabel("$x_1$")
    axis.set_ylabel("$x_2$")
    axis.set_title(title, fontsize="medium")
    figure.tight_layout()
    return figure


def mae_against(rows: Sequence[Mapping[str, Any]], key: str, log_x: bool = False) -> Figure:
    """MAE (mean ± std over members) against ``key`` (p, r or the training size n), one line per group."""
    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    for label, members in groups.items():
        members = sorted(members, key=lambda row: row[key])
        values = np.array([row[key] for row in members], dtype=float)
        mean = np.array([row["mae_mean"] for row in members])
        std = np.array([row["mae_std"] for row in members])
        axis.errorbar(values, mean, yerr=std, marker="o", capsize=3, label=label)
    if log_x:
        axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel(key)
    axis.set_ylabel(f"MAE ({rows[0]['members']} members)")
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def mae_bars(rows: Sequence[Mapping[str, Any]]) -> Figure:
    """MAE per objective, best first."""
    rows = sorted(rows, key=lambda row: row["mae_mean"])
    figure, axis = plt.subplots(figsize=(6.4, 0.45 * len(rows) + 1.2))
    labels = [row["objective"] for row in rows]
    axis.barh(labels, [row["mae_mean"] for row in rows], xerr=[row["mae_std"] for row in rows])
    axis.invert_yaxis()
    axis.set_xscale("log")
    axis.set_xlabel(f"MAE ({rows[0]['members']} members)")
    figure.tight_layout()
    return figure
