"""A reversible per-key scaler: every key's values are divided by one fitted factor.

xVal multiplies the ``[NUM]`` embedding by the value, and the layer norms that follow erase
magnitudes far from one, so values must enter at order one. The fitted range of each key maps
onto ``[-target, target]`` (default ±2), leaving headroom up to ``limit`` (default ±5, the paper's
range) for out-of-distribution values; anything beyond the limit is refused with the key named.
A pure factor (no shift) keeps zero at zero and signs intact, and is exactly invertible.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np


class ScalerRangeError(ValueError):
    """A value outside what the scaler was fitted for, or a key it never saw."""


class KeyScaler:
    """Per-key factors fitted on training values; ``transform`` and ``inverse`` are exact inverses."""

    def __init__(
        self, factors: Mapping[str, float], target: float = 2.0, limit: float = 5.0
    ) -> None:
        if not 0 < target <= limit:
            raise ValueError(f"need 0 < target <= limit, got target={target}, limit={limit}")
        self.factors = {key: float(f) for key, f in factors.items()}
        self.target, self.limit = float(target), float(limit)

    @classmethod
    def fit(
        cls, values_by_key: Mapping[str, Sequence[float]], target: float = 2.0, limit: float = 5.0
    ) -> KeyScaler:
        factors = {}
        for key, values in values_by_key.items():
            largest = float(np.max(np.abs(np.asarray(values, dtype=np.float64)), initial=0.0))
            factors[key] = target / largest if largest > 0 else 1.0
        return cls(factors, target, limit)

    def _factors(self, keys: Sequence[str]) -> np.ndarray:
        unknown = sorted(set(keys) - set(self.factors))
        if unknown:
            raise ScalerRangeError(
                f"the scaler has no key {unknown[0]!r} (fitted keys: {', '.join(sorted(self.factors))})"
            )
        return np.array([self.factors[key] for key in keys], dtype=np.float64)

    def transform(self, keys: Sequence[str], values: Sequence[float]) -> np.ndarray:
        """Scaled float32 values; a value beyond ``±limit`` after scaling raises, naming its key."""
        values = np.asarray(values, dtype=np.float64)
        if len(keys) != len(values):
            raise ScalerRangeError(f"{len(keys)} keys for {len(values)} values")
        scaled = values * self._factors(keys)
        outside = np.flatnonzero(~(np.abs(scaled) <= self.limit))
        if outside.size:
            i = int(outside[0])
            low, high = self.limit / self.factors[keys[i]], -self.limit / self.factors[keys[i]]
            raise ScalerRangeError(
                f"value {values[i]:g} of key {keys[i]!r} is outside the scaler's range "
                f"[{min(low, high):g}, {max(low, high):g}]"
            )
        return scaled.astype(np.float32)

    def inverse(self, keys: Sequence[str], scaled: Sequence[float]) -> np.ndarray:
        return (np.asarray(scaled, dtype=np.float64) / self._factors(keys)).astype(np.float32)

    def to_dict(self) -> dict:
        return {"factors": self.factors, "target": self.target, "limit": self.limit}

    @classmethod
    def from_dict(cls, state: Mapping) -> KeyScaler:
        return cls(state["factors"], state["target"], state["limit"])

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes JSON atomically (temporary file, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w") as stream:
            json.dump(self.to_dict(), stream, indent=1)
        os.replace(temporary, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KeyScaler:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyScaler) and self.to_dict() == other.to_dict()
