"""Metrics of predicted numbers: MSE and R² per key, and the share of unreadable predictions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def number_metrics(
    keys: Sequence[str], truth: np.ndarray, predicted: np.ndarray
) -> dict[str, float]:
    """``mse``, ``invalid`` (NaN predictions: not [NUM], or tokens that are not a number) and per
    key ``mse_<key>``, ``r2_<key>``; MSE and R² over the readable predictions only."""
    keys = np.asarray(keys)
    truth, predicted = np.asarray(truth, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    valid = np.isfinite(predicted)
    out = {"invalid": float(1 - valid.mean()) if len(valid) else math.nan}
    out["mse"] = _mse(truth[valid], predicted[valid])
    for key in sorted(set(keys.tolist())):
        chosen = (keys == key) & valid
        out[f"mse_{key}"] = _mse(truth[chosen], predicted[chosen])
        out[f"r2_{key}"] = r2_score(truth[chosen], predicted[chosen])
    return out


def _mse(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean((truth - predicted) ** 2)) if len(truth) else math.nan


def r2_score(truth: np.ndarray, predicted: np.ndarray) -> float:
    if len(truth) < 2:
        return math.nan
    total = float(np.sum((truth - truth.mean()) ** 2))
    residual = float(np.sum((truth - predicted) ** 2))
    return 1.0 - residual / total if total > 0 else math.nan


def excess_variation(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Total variation of the predicted curve beyond the truth's, relative to the truth's:
    0 for a curve as smooth as the truth, large for one that jumps (a continuity measure)."""
    truth_tv = float(np.sum(np.abs(np.diff(truth))))
    predicted_tv = float(np.sum(np.abs(np.diff(predicted))))
    return (predicted_tv - truth_tv) / truth_tv if truth_tv > 0 else math.nan


def roughness(inputs: np.ndarray, predicted: np.ndarray, degree: int = 3) -> float:
    """Total variation of the predicted curve around its own smooth (polynomial) trend, relative
    to the trend's range: 0 for a smooth curve however wrong, large for steps and spikes."""
    if len(predicted) <= degree + 1:
        return math.nan
    trend = np.polynomial.Polynomial.fit(inputs, predicted, degree)(inputs)
    spread = float(np.ptp(trend))
    wiggle = float(np.sum(np.abs(np.diff(predicted - trend))))
    return wiggle / spread if spread > 0 else math.nan
