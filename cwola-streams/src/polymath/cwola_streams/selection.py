"""Candidate stream stars from classifier scores: top N per patch, a proper-motion cluster, no duplicates.

The paper ranks each patch's stars (after the fiducial cuts) by score, keeps the top N, pools the
patches, runs KMeans with two clusters in (μ_ϕ*, μ_λ) and keeps the larger cluster (the stream is
coherent in proper motion, the false positives are not), and drops stars that overlapping patches
selected twice. Purity and completeness are then counted against the labelled members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans


def top_n(scores: np.ndarray, n: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Indices of the n highest scores among the stars in ``mask`` (all stars if None), best first."""
    candidates = np.flatnonzero(np.ones(len(scores), bool) if mask is None else mask)
    order = np.argsort(-scores[candidates], kind="stable")
    return candidates[order[:n]]


def larger_pm_cluster(proper_motions: np.ndarray, seed: int = 0) -> np.ndarray:
    """Mask of the larger of two KMeans clusters in proper motion (rows (μ_ϕ*, μ_λ))."""
    if len(proper_motions) < 2:
        return np.ones(len(proper_motions), dtype=bool)
    labels = KMeans(n_clusters=2, n_init=10, random_state=seed).fit_predict(proper_motions)
    return labels == np.argmax(np.bincount(labels, minlength=2))


def unique_stars(astrometry: np.ndarray, decimals: int = 6) -> np.ndarray:
    """Indices of the first occurrence of each star, matched on rows (α, δ, μ_α*, μ_δ).

    Overlapping patches list the same Gaia source with the same numbers, so duplicates are equal
    to rounding; ``decimals`` sets that rounding.
    """
    _, first = np.unique(np.round(astrometry, decimals), axis=0, return_index=True)
    return np.sort(first)


@dataclass(frozen=True)
class Tally:
    """How many stars were selected, how many are labelled members, and the two ratios."""

    selected: int
    matched: int
    labelled: int

    @property
    def purity(self) -> float:
        return self.matched / self.selected if self.selected else float("nan")

    @property
    def completeness(self) -> float:
        return self.matched / self.labelled if self.labelled else float("nan")

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        return {
            f"{prefix}selected": float(self.selected),
            f"{prefix}matched": float(self.matched),
            f"{prefix}purity": self.purity,
            f"{prefix}completeness": self.completeness,
        }


def tally(selected_is_member: np.ndarray, labelled: int) -> Tally:
    """Purity = matched / selected; completeness = matched / ``labelled`` (members passing the cuts)."""
    return Tally(len(selected_is_member), int(np.sum(selected_is_member)), labelled)


@dataclass(frozen=True)
class PatchScores:
    """One patch's stars, their out-of-fold scores (NaN outside SR ∪ SB), truth and cut masks."""

    stars: np.ndarray  # (n, 10) in the reference's column order
    scores: np.ndarray
    is_member: np.ndarray
    passes_cuts: np.ndarray


def select_candidates(
    patches: list[PatchScores],
    n_per_patch: int = 250,
    cluster: bool = True,
    deduplicate: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, Tally]:
    """The paper's selection over pooled patches: (selected stars, their truth, tally).

    Completeness counts the labelled members that pass the cuts, distinct ones if ``deduplicate``
    (the paper's "before" row counts both with duplicates).
    """
    from polymath.cwola_streams.data.formats import COLUMNS

    astrometry_columns = [COLUMNS.index(c) for c in ("ra", "dec", "pmra", "pmdec")]
    pm_columns = [COLUMNS.index(c) for c in ("pmphi", "pmlambda")]
    chosen, truth, labelled = [], [], []
    for patch in patches:
        is_member = np.asarray(patch.is_member, dtype=bool)
        scored = patch.passes_cuts & np.isfinite(patch.scores)
        index = top_n(np.nan_to_num(patch.scores, nan=-np.inf), n_per_patch, scored)
        chosen.append(patch.stars[index])
        truth.append(is_member[index])
        labelled.append(patch.stars[is_member & patch.passes_cuts][:, astrometry_columns])
    stars, is_member = np.concatenate(chosen), np.concatenate(truth)
    if cluster:
        keep = larger_pm_cluster(stars[:, pm_columns], seed)
        stars, is_member = stars[keep], is_member[keep]
    members = np.concatenate(labelled)
    if not deduplicate:
        return stars, is_member, tally(is_member, len(members))
    first = unique_stars(stars[:, astrometry_columns])
    stars, is_member = stars[first], is_member[first]
    n_labelled = len(unique_stars(members)) if len(members) else 0
    return stars, is_member, tally(is_member, n_labelled)
