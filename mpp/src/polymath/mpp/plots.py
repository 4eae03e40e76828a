"""Figures: prediction against truth, error bars per system, rollout curves, transfer curves, GIFs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator


def prediction_figure(
    pred: np.ndarray, truth: np.ndarray, fields: Sequence[str], title: str
) -> Figure:
    """Rows = fields; columns = prediction, truth, error. Arrays (C, H, W)."""
    fig, axes = plt.subplots(len(fields), 3, figsize=(9, 2.8 * len(fields)), squeeze=False)
    for row, field in enumerate(fields):
        low, high = truth[row].min(), truth[row].max()
        error = pred[row] - truth[row]
        limit = np.abs(error).max() or 1.0
        for col, (image, label) in enumerate(
            ((pred[row], "prediction"), (truth[row], "truth"), (error, "error"))
        ):
            ax = axes[row, col]
            style = (
                {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
                if col == 2
                else {"vmin": low, "vmax": high}
            )
            shown = ax.imshow(image, origin="lower", **style)
            fig.colorbar(shown, ax=ax, fraction=0.046)
            ax.set_title(f"{field}: {label}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def nrmse_bars(
    rows: Sequence[Mapping[str, float | str]], columns: Sequence[str], title: str
) -> Figure:
    """Grouped bars of NRMSE per system (rows have a 'system' key and one value per column)."""
    systems = [str(row["system"]) for row in rows]
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(systems), 3.5))
    width = 0.8 / len(columns)
    for index, column in enumerate(columns):
        values = [float(row[column]) for row in rows]
        ax.bar(
            np.arange(len(systems)) + (index - (len(columns) - 1) / 2) * width,
            values,
            width,
            label=column,
        )
    ax.set_xticks(np.arange(len(systems)), systems)
    ax.set_yscale("log")
    ax.set_ylabel("one-step NRMSE (test)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def rollout_curves(curves: Mapping[str, Mapping[str, np.ndarray]], title: str) -> Figure:
    """NRMSE against rollout step; ``curves[system][label]`` is one curve per step."""
    fig, axes = plt.subplots(1, len(curves), figsize=(3.4 * len(curves), 3.2), squeeze=False)
    for ax, (system, by_label) in zip(axes[0], curves.items()):
        for label, values in by_label.items():
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=label)
        ax.set_title(system)
        ax.set_xlabel("rollout step")
        ax.set_yscale("log")
    axes[0, 0].set_ylabel("NRMSE")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def transfer_curves(
    rows: Sequence[Mapping[str, float | str]],
    metrics: Sequence[str],
    title: str,
    persistence: Mapping[str, float] | None = None,
) -> Figure:
    """NRMSE against the number of finetuning trajectories, finetuned against scratch; a dashed
    line at ``persistence[metric]`` where given."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        if persistence and metric in persistence:
            ax.axhline(persistence[metric], color="gray", linestyle="--", label="persistence")
        for start in sorted({str(row["start"]) for row in rows}):
            chosen = sorted(
                (row for row in rows if row["start"] == start), key=lambda row: row["trajectories"]
            )
            ax.plot(
                [row["trajectories"] for row in chosen],
                [row[metric] for row in chosen],
                marker="o",
                label=start,
            )
        sizes = sorted({int(row["trajectories"]) for row in rows})
        ax.set_xscale("log")
        ax.set_xticks(sizes, [str(size) for size in sizes])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_yscale("log")
        ax.set_xlabel("finetuning trajectories")
        ax.set_ylabel(metric)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def rollout_gif(
    panels: Sequence[tuple[str, np.ndarray, np.ndarray]], path: str | Path, fps: int = 4
) -> Path:
    """An animation with one row per panel ``(title, rollout, truth)``, arrays (steps, H, W): the
    model's rollout beside the simulation, on the simulation's colour scale."""
    path = Path(path)
    steps = min(len(pred) for _, pred, _ in panels)
    fig, axes = plt.subplots(len(panels), 2, figsize=(5.2, 2.6 * len(panels)), squeeze=False)
    images = []
    for row, (title, pred, truth) in enumerate(panels):
        low, high = truth[:steps].min(), truth[:steps].max()
        for col, (frames, label) in enumerate(((pred, "AViT rollout"), (truth, "simulation"))):
            ax = axes[row, col]
            images.append((ax.imshow(frames[0], origin="lower", vmin=low, vmax=high), frames))
            ax.set_title(f"{title}: {label}", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])

    title = fig.suptitle("rollout step 1")
    fig.tight_layout()

    def draw(step: int):
        for image, frames in images:
            image.set_data(frames[step])
        title.set_text(f"rollout step {step + 1}")
        return [image for image, _ in images]

    FuncAnimation(fig, draw, frames=steps).save(path, writer=PillowWriter(fps=fps))
    plt.close(fig)
    return path
