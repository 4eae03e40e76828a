"""Figures of the counting experiments (matplotlib, Agg backend)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from polymath.counting_transformers.data import VOCAB

TOKEN_NAMES = {index: name for name, index in VOCAB.items()}


def attention_maps(tokens: torch.Tensor, encoder: torch.Tensor, cross: torch.Tensor) -> Figure:
    """Encoder self-attention (length x length) and decoder cross-attention (regions x length)
    of one sequence, heads averaged."""
    labels = [TOKEN_NAMES[int(t)] for t in tokens]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [1, 1.4]})
    left.imshow(encoder.numpy(), cmap="viridis", aspect="auto")
    left.set(title="encoder self-attention", xlabel="key", ylabel="query")
    right.imshow(cross.numpy(), cmap="viridis", aspect="auto", interpolation="nearest")
    right.set(title="decoder cross-attention", xlabel="encoder token", ylabel="region query")
    right.set_yticks(range(cross.shape[0]))
    for axis in (left, right):
        axis.set_xticks(range(len(labels)))
        axis.set_xticklabels(labels, fontsize=5, rotation=90)
    left.set_yticks(range(len(labels)))
    left.set_yticklabels(labels, fontsize=5)
    fig.tight_layout()
    return fig


def bias_shares(shares: Mapping[str, float]) -> Figure:
    fig, axis = plt.subplots(figsize=(6, 4))
    names = list(shares)
    axis.bar(names, [shares[n] for n in names], color="tab:blue")
    axis.set(ylabel="share of decoder attention", ylim=(0, 1), title="where the decoder looks")
    fig.tight_layout()
    return fig


def one_token_pca(points: torch.Tensor, regions: torch.Tensor) -> Figure:
    fig, axis = plt.subplots(figsize=(6, 5))
    for region in sorted(set(regions.tolist())):
        chosen = regions == region
        label = "outside" if region < 0 else f"region {region}"
        axis.scatter(
            points[chosen, 0],
            points[chosen, 1],
            s=6,
            alpha=0.6,
            label=label,
            color="lightgrey" if region < 0 else None,
        )
    axis.set(xlabel="PC 1", ylabel="PC 2", title="encoder outputs of 1-tokens")
    axis.legend(fontsize=8, markerscale=2)
    fig.tight_layout()
    return fig


def parse_grid_name(name: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"L(\d+)_R(\d+)", name)
    return (int(match[1]), int(match[2])) if match else None


def ood_accuracy(
    results: Mapping[str, Mapping[str, float]],
    length: int,
    regions: int,
    metric: str = "acc_region",
) -> Figure:
    """Accuracy against length (one line per number of regions) and against number of regions
    (one line per length) over the out-of-distribution grid; dashed lines mark training values."""
    grid = {parse_grid_name(n): v[metric] for n, v in results.items() if parse_grid_name(n)}
    lengths = sorted({n for n, _ in grid})
    counts = sorted({r for _, r in grid})
    fig, (by_length, by_regions) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for r in counts:
        xs = [n for n in lengths if (n, r) in grid]
        by_length.plot(xs, [grid[n, r] for n in xs], "o-", label=f"{r} regions")
    for n in lengths:
        xs = [r for r in counts if (n, r) in grid]
        by_regions.plot(xs, [grid[n, r] for r in xs], "o-", label=f"length {n}")
    by_length.axvline(length, ls="--", color="grey")
    by_regions.axvline(regions, ls="--", color="grey")
    by_length.set(
        xlabel="sequence length", ylabel=metric, ylim=(0, 1.02), xscale="log", title="vs length"
    )
    by_regions.set(xlabel="number of regions", title="vs number of regions")
    by_length.legend(fontsize=8)
    by_regions.legend(fontsize=8)
    fig.tight_layout()
    return fig
