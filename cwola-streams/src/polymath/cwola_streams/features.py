"""Classifier inputs and the fiducial cuts the paper applies before ranking candidates."""

from __future__ import annotations

import numpy as np

from polymath.cwola_streams.data.formats import Patch
from polymath.cwola_streams.windows import ScannedVariable

FEATURES: dict[str, tuple[str, ...]] = {
    "pmlambda": ("phi", "lambda", "pmphi", "color", "mag"),
    "pmphi": ("phi", "lambda", "pmlambda", "color", "mag"),
}
"""Every feature but the scanned one: a feature that defines the SR would give the label away."""


def features(patch: Patch, scanned: ScannedVariable = "pmlambda") -> np.ndarray:
    """(stars, 5) float32 inputs: ϕ, λ, the other proper motion, b−r, G (not standardised)."""
    return np.column_stack([patch[name] for name in FEATURES[scanned]]).astype(np.float32)


def fiducial_cuts(
    patch: Patch,
    g_max: float = 20.2,
    color_range: tuple[float, float] = (0.5, 1.0),
    pm_min: float = 2.0,
) -> np.ndarray:
    """G < g_max, b−r in ``color_range``, and |μ_ϕ*| > pm_min or |μ_λ| > pm_min (mas/yr)."""
    color = patch["color"]
    return (
        (patch["mag"] < g_max)
        & (color >= color_range[0])
        & (color <= color_range[1])
        & ((np.abs(patch["pmphi"]) > pm_min) | (np.abs(patch["pmlambda"]) > pm_min))
    )
