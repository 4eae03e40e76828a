"""Figures built from arrays, so they can be drawn without a run."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from polymath.pirounet.data.simulate import EFFORTS


def confusion_figure(matrices: dict[str, np.ndarray]) -> Figure:
    """Row-normalised confusion matrices side by side (true effort down, predicted across)."""
    figure = Figure(figsize=(3.6 * len(matrices), 3.4), layout="constrained")
    for axes, (title, matrix) in zip(
        np.atleast_1d(figure.subplots(1, len(matrices))), matrices.items()
    ):
        axes.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
        for (i, j), value in np.ndenumerate(matrix):
            axes.text(j, i, f"{value:.2f}", ha="center", va="center",
                      color="white" if value > 0.6 else "black")  # fmt: skip
        ticks = range(len(matrix))
        axes.set(title=title, xlabel="predicted", ylabel="true", xticks=ticks, yticks=ticks,
                 xticklabels=EFFORTS, yticklabels=EFFORTS)  # fmt: skip
    return figure


def latent_figure(plane: np.ndarray, labels: np.ndarray, explained: np.ndarray) -> Figure:
    """Encoder means of labelled windows on their first two principal axes, coloured by effort,
    beside the explained-variance ratio of the first components."""
    figure = Figure(figsize=(8, 3.4), layout="constrained")
    scatter, bars = figure.subplots(1, 2)
    for k, name in enumerate(EFFORTS):
        chosen = plane[labels == k]
        scatter.scatter(chosen[:, 0], chosen[:, 1], s=4, alpha=0.5, label=name)
    scatter.set(xlabel="PC 1", ylabel="PC 2", title="latent means (labelled windows)")
    scatter.legend(markerscale=3)
    bars.bar(np.arange(1, len(explained) + 1), explained)
    bars.set(xlabel="component", ylabel="explained variance ratio", title="latent PCA")
    return figure
