"""Figures: parity heat maps per key, the continuity sweep, and the encodings table's bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def parity(predictions: Mapping[str, np.ndarray | list], title: str = "") -> plt.Figure:
    """2-D histogram of true vs predicted (scaled) values, one panel per key."""
    keys = np.asarray(predictions["keys"])
    truth, predicted = np.asarray(predictions["truth"]), np.asarray(predictions["predicted"])
    names = sorted(set(keys.tolist()))
    figure, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), squeeze=False)
    for axis, key in zip(axes[0], names, strict=True):
        chosen = (keys == key) & np.isfinite(predicted)
        t, p = truth[chosen], predicted[chosen]
        low, high = (float(t.min()), float(t.max())) if len(t) else (0.0, 1.0)
        axis.hist2d(t, np.clip(p, low - 1, high + 1), bins=30, cmap="viridis", cmin=1)
        axis.plot([low, high], [low, high], color="tab:red", lw=0.8)
        axis.set(xlabel=f"true {key} (scaled)", ylabel="predicted", title=key)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def continuity(
    inputs: np.ndarray,
    truth: np.ndarray,
    curves: Mapping[str, np.ndarray],
    label: str,
    band: Sequence[float] | None = None,
) -> plt.Figure:
    """Predicted output as one input number sweeps a range, one curve per encoding; ``band``
    shades the inputs held out of training."""
    figure, axis = plt.subplots(figsize=(6, 4))
    if band is not None:
        axis.axvspan(band[0], band[1], color="0.9", label="held out of training")
    axis.plot(inputs, truth, color="black", lw=2, label="truth")
    for name, values in curves.items():
        axis.plot(inputs, values, lw=1, marker=".", ms=3, label=name)
    axis.set(xlabel=label, ylabel="predicted result (scaled)")
    axis.legend()
    figure.tight_layout()
    return figure


def encodings_bars(rows: Sequence[Mapping[str, float | str]], metrics: Sequence[str]) -> plt.Figure:
    """One panel per metric, bars per (task, encoding)."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.5), squeeze=False)
    labels = [f"{r['task']}\n{r['encoding']}" for r in rows]
    for axis, metric in zip(axes[0], metrics, strict=True):
        values = np.array([float(r.get(metric, np.nan)) for r in rows])
        axis.bar(range(len(rows)), np.nan_to_num(values, nan=0.0))
        axis.set_xticks(range(len(rows)), labels, rotation=90, fontsize=7)
        axis.set(title=metric, yscale="log" if np.any(values > 0) else "linear")
    figure.tight_layout()
    return figure
