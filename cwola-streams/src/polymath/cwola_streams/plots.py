"""Figures: candidates against the truth, the SR/SB windows, ROC curves, purity studies, the scan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from polymath.cwola_streams.data.formats import COLUMNS, Patch
from polymath.cwola_streams.selection import PatchScores
from polymath.cwola_streams.windows import Window


def candidates(result: PatchScores, selected: np.ndarray, title: str = "") -> Figure:
    """Sky (ϕ, λ) and proper motions (μ_ϕ*, μ_λ) of the selected stars against the labelled stream."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    pairs = (
        ("phi", "lambda", "ϕ [deg]", "λ [deg]"),
        ("pmphi", "pmlambda", "μ_ϕ* [mas/yr]", "μ_λ [mas/yr]"),
    )
    picked = np.zeros(len(result.scores), bool)
    picked[selected] = True
    for ax, (x, y, xlabel, ylabel) in zip(axes, pairs, strict=True):
        cx, cy = result.stars[:, COLUMNS.index(x)], result.stars[:, COLUMNS.index(y)]
        window = np.isfinite(result.scores)
        ax.scatter(cx[window], cy[window], s=1, c="0.8", label="SR ∪ SB stars", rasterized=True)
        ax.scatter(
            cx[result.is_member], cy[result.is_member], s=6, c="tab:blue", label="stream (truth)"
        )
        hit, miss = picked & result.is_member, picked & ~result.is_member
        ax.scatter(
            cx[hit],
            cy[hit],
            s=28,
            facecolors="none",
            edgecolors="tab:green",
            label="selected, stream",
        )
        ax.scatter(cx[miss], cy[miss], s=28, marker="x", c="tab:red", label="selected, field")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    in_pm = result.stars[result.is_member][:, [COLUMNS.index("pmphi"), COLUMNS.index("pmlambda")]]
    if len(in_pm):
        lo, hi = in_pm.min(0), in_pm.max(0)
        pad = 2 + (hi - lo)
        axes[1].set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        axes[1].set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    axes[0].legend(loc="best", fontsize=8, markerscale=2)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def window_histogram(patch: Patch, window: Window, bins: int = 80) -> Figure:
    """The scanned proper motion of every star and of the stream, with the SR and SBs shaded."""
    values = patch[window.variable]
    lo, hi = window.center - 3 * window.sb_half, window.center + 3 * window.sb_half
    fig, ax = plt.subplots(figsize=(7, 4.2))
    edges = np.linspace(lo, hi, bins + 1)
    ax.hist(values, edges, histtype="step", color="k", label="all stars")
    if patch.is_stream is not None:
        ax.hist(values[patch.is_stream], edges, color="tab:blue", alpha=0.6, label="stream (truth)")
    sr_lo, sr_hi = window.signal_region
    ax.axvspan(sr_lo, sr_hi, color="tab:orange", alpha=0.25, label="signal region")
    ax.axvspan(
        window.center - window.sb_half, sr_lo, color="tab:purple", alpha=0.15, label="sidebands"
    )
    ax.axvspan(sr_hi, window.center + window.sb_half, color="tab:purple", alpha=0.15)
    ax.set_yscale("log")
    ax.set_xlabel(f"{window.variable} [mas/yr]")
    ax.set_ylabel("stars per bin")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def roc(curves: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Figure:
    """ROC curves (stream against field) for named (truth, scores) pairs, with the random line."""
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, (truth, scores) in curves.items():
        fpr, tpr, _ = roc_curve(truth, scores)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], "k:", label="random")
    ax.set_xlabel("field stars kept (false positive rate)")
    ax.set_ylabel("stream stars kept (true positive rate)")
    ax.legend()
    fig.tight_layout()
    return fig


def purity_study(rows: Sequence[Mapping[str, float]], n: int) -> Figure:
    """Top-n purity against stream strength (with the supervised bound when the rows hold it),
    and its distribution over the mocks."""
    key = f"top{n}/purity"
    strength = np.array([row["n_stream"] for row in rows], float)
    purity = np.array([row[key] for row in rows])
    jitter = np.exp(np.linspace(-0.06, 0.06, len(rows)))  # mocks of one strength side by side
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.scatter(strength * jitter, purity, label="CWoLa")
    if all(f"supervised/{key}" in row for row in rows):
        bound = np.array([row[f"supervised/{key}"] for row in rows])
        left.scatter(strength * jitter, bound, marker="^", c="tab:orange", label="supervised bound")
        left.legend(fontsize=8)
    left.set_xscale("log")
    left.set_xlabel("stream stars in the patch (G < 20.2)")
    left.set_ylabel(f"top-{n} purity after cuts")
    left.set_ylim(-0.03, 1.03)
    left.axhline(0.5, color="k", ls=":")
    right.hist(purity, bins=np.linspace(0, 1, 11))
    right.set_xlabel(f"CWoLa top-{n} purity")
    right.set_ylabel("mock patches")
    fig.tight_layout()
    return fig


def scan(centers: np.ndarray, significance: np.ndarray, truth: float | None) -> Figure:
    """Significance of each scanned window, with the true stream's proper motion if known."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(centers, significance, "o-")
    if truth is not None:
        ax.axvline(truth, color="tab:blue", ls="--", label="stream (truth)")
        ax.legend()
    ax.set_xlabel("window centre μ_λ [mas/yr]")
    ax.set_ylabel("significance Z")
    fig.tight_layout()
    return fig
