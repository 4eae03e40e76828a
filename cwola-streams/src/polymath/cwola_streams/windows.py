"""Signal region (SR) and sidebands (SB) in one proper-motion component, placed by truth or scanned.

CWoLa trains a classifier to tell SR stars from SB stars. A stream is narrow in proper motion, so
it is over-represented in the SR; the background changes slowly across the window, so whatever the
classifier learns beyond the stream is a smooth trend. The paper places the window on the labelled
stream stars (median ± k σ of their μ_λ): an oracle. :func:`scan_windows` slides windows over the
whole range for a blind search, and :func:`window_significance` scores each window without truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from polymath.cwola_streams.data.formats import Patch

ScannedVariable = Literal["pmlambda", "pmphi"]


class EmptyRegionError(ValueError):
    """A signal region or sideband without stars: nothing for CWoLa to tell apart."""


@dataclass(frozen=True)
class Window:
    """SR = [center − sr_half, center + sr_half]; SB = [center − sb_half, center + sb_half] minus SR."""

    center: float
    sr_half: float
    sb_half: float
    variable: ScannedVariable = "pmlambda"

    def __post_init__(self) -> None:
        if not 0 < self.sr_half < self.sb_half:
            raise ValueError(
                f"a window needs 0 < sr_half < sb_half; got sr_half={self.sr_half}, sb_half={self.sb_half}"
            )

    @property
    def signal_region(self) -> tuple[float, float]:
        return self.center - self.sr_half, self.center + self.sr_half

    def regions(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Masks (in SR, in SB) for the scanned values."""
        offset = np.abs(values - self.center)
        in_sr = offset <= self.sr_half
        return in_sr, ~in_sr & (offset <= self.sb_half)

    def split(self, patch: Patch) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the stars in SR ∪ SB and their CWoLa labels (1 = SR, 0 = SB)."""
        in_sr, in_sb = self.regions(patch[self.variable])
        lo, hi = self.signal_region
        if not in_sr.any():
            raise EmptyRegionError(
                f"the signal region {self.variable} in [{lo:.3g}, {hi:.3g}] holds no star"
            )
        if not in_sb.any():
            raise EmptyRegionError(
                f"the sidebands {self.variable} within {self.sb_half:.3g} of {self.center:.3g} "
                "(outside the signal region) hold no star"
            )
        index = np.flatnonzero(in_sr | in_sb)
        return index, in_sr[index].astype(np.int64)


def oracle_window(
    patch: Patch,
    stream: np.ndarray,
    k_sr: float,
    k_sb: float,
    variable: ScannedVariable = "pmlambda",
) -> Window:
    """The paper's window: median ± k σ of the labelled stream stars' scanned proper motion."""
    values = patch[variable][stream]
    if len(values) < 2:
        raise EmptyRegionError(
            f"placing the window needs at least 2 labelled stream stars, got {len(values)}"
        )
    sigma = float(np.std(values))
    return Window(float(np.median(values)), k_sr * sigma, k_sb * sigma, variable)


def scan_windows(
    values: np.ndarray,
    sr_width: float,
    sb_width: float,
    step: float | None = None,
    quantiles: tuple[float, float] = (0.02, 0.98),
    variable: ScannedVariable = "pmlambda",
) -> list[Window]:
    """Windows slid across the central ``quantiles`` of ``values``: no truth is used.

    ``sr_width`` is the full SR width; ``sb_width`` the width of each sideband; ``step`` defaults
    to the SR width, so the signal regions tile the range without overlap.
    """
    if sr_width <= 0 or sb_width <= 0:
        raise ValueError(f"window widths must be positive; got {sr_width}, {sb_width}")
    lo, hi = np.quantile(values, quantiles)
    step = step or sr_width
    centers = np.arange(lo + sr_width / 2 + sb_width, hi - sr_width / 2 - sb_width + 1e-12, step)
    return [Window(float(c), sr_width / 2, sr_width / 2 + sb_width, variable) for c in centers]


def window_significance(
    scores: np.ndarray, labels: np.ndarray, efficiency: float = 0.01
) -> tuple[float, int, float]:
    """(Z, selected SR stars, expected) after cutting the scores at the SB's top ``efficiency``.

    Without a stream, a threshold passing a fraction ε of SB stars passes about ε of SR stars: the
    expected count is ε × N_SR. The excess is scored as a one-sided Poisson p-value converted to Z.
    """
    sb, sr = scores[labels == 0], scores[labels == 1]
    if len(sb) == 0 or len(sr) == 0:
        raise EmptyRegionError("a significance needs stars in both the signal region and sidebands")
    threshold = np.quantile(sb, 1 - efficiency)
    selected = int((sr > threshold).sum())
    expected = efficiency * len(sr)
    p_value = stats.poisson.sf(selected - 1, expected)
    return float(stats.norm.isf(np.clip(p_value, 1e-300, 0.5))), selected, float(expected)
