"""Figures, built from arrays so they can be drawn without a run."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from polymath.astroclip.data.preprocess import arcsinh_rgb
from polymath.astroclip.data.simulate import DESI_WAVELENGTH


def similarity_figure(
    dataset,
    embeddings: dict[str, torch.Tensor],
    redshifts: np.ndarray,
    queries: int = 3,
    neighbours: int = 4,
) -> Figure:
    """Query galaxies (images) and the spectra nearest to them in the shared space."""
    image = torch.nn.functional.normalize(embeddings["image"], dim=-1)
    spectrum = torch.nn.functional.normalize(embeddings["spectrum"], dim=-1)
    figure = Figure(figsize=(3 * (neighbours + 1), 2.6 * queries), layout="constrained")
    axes = figure.subplots(queries, neighbours + 1, squeeze=False)
    for row, query in enumerate(np.linspace(0, len(image) - 1, queries).astype(int)):
        rgb = arcsinh_rgb(dataset.images[query : query + 1])[0].numpy()
        axes[row, 0].imshow(rgb, origin="lower")
        axes[row, 0].set_title(f"query image, z = {redshifts[query]:.3f}", fontsize=9)
        axes[row, 0].axis("off")
        nearest = (spectrum @ image[query]).argsort(descending=True)[:neighbours]
        for column, index in enumerate(nearest.tolist(), start=1):
            flux = dataset.spectra[index, :, 0].numpy()
            axes[row, column].plot(
                DESI_WAVELENGTH, flux, lw=0.3, color="C0" if index != query else "C3"
            )
            axes[row, column].set_title(
                f"#{column} spectrum, z = {redshifts[index]:.3f}"
                + (" (its own)" if index == query else ""),
                fontsize=9,
            )
            axes[row, column].set_xlabel("wavelength [Å]", fontsize=8)
    return figure


def redshift_figure(
    true: np.ndarray, predicted: dict[str, np.ndarray], r2: dict[str, float]
) -> Figure:
    """Zero-shot redshift: k-NN predictions from each embedding against the truth."""
    figure = Figure(figsize=(3.2 * len(predicted), 3.3), layout="constrained")
    axes = figure.subplots(1, len(predicted), squeeze=False)[0]
    top = float(max(true.max(), *(p.max() for p in predicted.values())))
    for axis, (name, values) in zip(axes, predicted.items()):
        axis.scatter(true, values, s=4, alpha=0.6)
        axis.plot([0, top], [0, top], color="k", lw=0.8)
        axis.set(xlim=(0, top), ylim=(0, top), xlabel="true z", title=f"{name}: R² {r2[name]:.2f}")
    axes[0].set_ylabel("zero-shot k-NN z")
    return figure
