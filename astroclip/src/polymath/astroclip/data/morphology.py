"""Galaxy Zoo DECaLS (GZD-5) morphology: the vote-fraction catalogue's format, and the same
questions answered from the simulator's true parameters.

The paper evaluates morphology on GZD-5 (Walmsley et al. 2022): for each question of the
decision tree, the fraction of volunteers who gave each answer, in columns named
``<question>_<answer>_fraction`` (e.g. ``smooth-or-featured_smooth_fraction``), one row per
galaxy (``iauname``, ``ra``, ``dec``). A question that volunteers never reached (``disk-edge-on``
of a smooth galaxy) has no votes: its fractions are empty (NaN).

The simulator draws smooth bulge + exponential disk profiles, so it knows four of the questions'
true answers; volunteers are modelled as seeing the deciding parameter with a Gaussian error
(``VOLUNTEER_ERROR``), so the fraction voting for an answer is the probability mass of the
parameter's bin:

- ``smooth-or-featured``: featured-or-disk when the bulge-to-total light ratio B/T < 0.5, else
  smooth; artifact never.
- ``disk-edge-on`` (asked of featured galaxies): yes when the projected axis ratio q < 0.6.
- ``how-rounded`` (asked of smooth galaxies): round q > 0.8, in-between 0.55-0.8, cigar-shaped
  below 0.55.
- ``bulge-size`` (asked of featured galaxies): B/T bins none < 0.05 < small < 0.15 < moderate
  < 0.3 < large < 0.45 < dominant.

q comes from the simulator's ellipticity, GalSim's distortion e = (1 - q²)/(1 + q²); its
ellipticities reach at most 0.7 (q 0.42), so edge-on disks and cigars are rare. Bars, spiral arms,
bulge shapes and mergers are not simulated, so those questions are not asked.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np

from polymath.astroclip.data.formats import FormatError

GZD5_ANSWERS: dict[str, tuple[str, ...]] = {
    "smooth-or-featured": ("smooth", "featured-or-disk", "artifact"),
    "disk-edge-on": ("yes", "no"),
    "has-spiral-arms": ("yes", "no"),
    "bar": ("strong", "weak", "no"),
    "bulge-size": ("dominant", "large", "moderate", "small", "none"),
    "how-rounded": ("round", "in-between", "cigar-shaped"),
    "edge-on-bulge": ("boxy", "none", "rounded"),
    "spiral-winding": ("tight", "medium", "loose"),
    "spiral-arm-count": ("1", "2", "3", "4", "more-than-4", "cant-tell"),
    "merging": ("none", "minor-disturbance", "major-disturbance", "merger"),
}
"""The GZD-5 decision tree's questions and answers, as the catalogue's column names spell them."""
REQUIRED_COLUMNS = ("iauname", "ra", "dec", "smooth-or-featured_smooth_fraction")
VOLUNTEER_ERROR = {"bulge_fraction": 0.05, "axis_ratio": 0.05}
"""The Gaussian error with which simulated volunteers judge B/T and the axis ratio."""


def fraction_column(question: str, answer: str) -> str:
    return f"{question}_{answer}_fraction"


def read_gz_decals(path: str | os.PathLike, id_column: str = "iauname") -> dict[str, np.ndarray]:
    """A GZD-5 vote-fraction CSV -> ``{"ids": ..., "ra", "dec", question: (n, answers)}``
    for every question whose answers all have fraction columns; empty cells become NaN.
    ``id_column`` names the identifier (``iauname`` in the release; e.g. ``targetid`` in a
    cross-match to the AstroCLIP pairs)."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such Galaxy Zoo DECaLS catalogue")
    try:
        with path.open(newline="") as file:
            reader = csv.DictReader(file)
            columns = reader.fieldnames or []
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        raise FormatError(f"{path} is not a Galaxy Zoo DECaLS CSV catalogue: {error}") from None
    missing = [c for c in (*REQUIRED_COLUMNS, id_column) if c not in columns]
    if missing:
        raise FormatError(
            f"{path} is not a Galaxy Zoo DECaLS vote-fraction catalogue: no column "
            f"{', '.join(dict.fromkeys(missing))}"
        )

    def numbers(column: str) -> np.ndarray:
        try:
            return np.array([float(r[column]) if r[column].strip() else math.nan for r in rows])
        except ValueError as error:
            raise FormatError(f"{path}: column {column} is not numeric ({error})") from None

    out: dict[str, np.ndarray] = {
        "ids": np.array([r[id_column] for r in rows]),
        "ra": numbers("ra"),
        "dec": numbers("dec"),
    }
    for question, answers in GZD5_ANSWERS.items():
        names = [fraction_column(question, a) for a in answers]
        if all(n in columns for n in names):
            out[question] = np.column_stack([numbers(n) for n in names])
    return out


def _bin_fractions(value: np.ndarray, edges: list[float], sigma: float) -> np.ndarray:
    """(n, len(edges) + 1) probability that value + N(0, sigma) falls in each bin, low to high."""
    from scipy.stats import norm

    cumulative = [np.zeros_like(value)]
    cumulative += [norm.cdf((edge - value) / sigma) for edge in edges]
    cumulative += [np.ones_like(value)]
    return np.diff(np.stack(cumulative, 1), axis=1)


def axis_ratio(ellipticity: np.ndarray) -> np.ndarray:
    """q = b/a from GalSim's distortion e = (1 - q²) / (1 + q²)."""
    return np.sqrt((1 - ellipticity) / (1 + ellipticity))


def simulated_vote_fractions(catalogue: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """GZD-5-like vote fractions (n, answers) per question from the true bulge fraction and
    ellipticity, in the answers' order of ``GZD5_ANSWERS``; NaN where a question is not reached
    (the answer before it in the tree was not the majority one)."""
    bt = np.asarray(catalogue["bulge_fraction"], dtype=float)
    q = axis_ratio(np.asarray(catalogue["ellipticity"], dtype=float))
    sigma_bt, sigma_q = VOLUNTEER_ERROR["bulge_fraction"], VOLUNTEER_ERROR["axis_ratio"]
    featured, smooth = _bin_fractions(bt, [0.5], sigma_bt).T
    out = {"smooth-or-featured": np.column_stack([smooth, featured, np.zeros_like(bt)])}
    edge_on_yes, edge_on_no = _bin_fractions(q, [0.6], sigma_q).T
    bulge_low_to_high = _bin_fractions(bt, [0.05, 0.15, 0.3, 0.45], sigma_bt)
    cigar, in_between, round_ = _bin_fractions(q, [0.55, 0.8], sigma_q).T
    is_featured = featured > smooth
    nan = np.full_like(bt, np.nan)[:, None]
    out["disk-edge-on"] = np.where(
        is_featured[:, None], np.column_stack([edge_on_yes, edge_on_no]), nan
    )
    out["bulge-size"] = np.where(is_featured[:, None], bulge_low_to_high[:, ::-1], nan)
    out["how-rounded"] = np.where(
        ~is_featured[:, None], np.column_stack([round_, in_between, cigar]), nan
    )
    return out
