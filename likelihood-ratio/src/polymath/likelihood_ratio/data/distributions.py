"""The densities of the data sets: scipy.stats log-pdfs with seeded samplers of (n, dim) arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy import stats


class Distribution(Protocol):
    dim: int

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray: ...

    def log_prob(self, x: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Gaussian:
    """N(mean, cov) in d dimensions; sampled through the Cholesky factor of ``cov``."""

    mean: tuple[float, ...]
    cov: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        cov = np.asarray(self.cov, dtype=float)
        if cov.shape != (self.dim, self.dim):
            raise ValueError(
                f"covariance shape {cov.shape} does not match mean of length {self.dim}"
            )
        np.linalg.cholesky(cov)

    @classmethod
    def isotropic(cls, mean: np.ndarray | list[float], scale: float = 1.0) -> Gaussian:
        mean = np.asarray(mean, dtype=float)
        return cls(tuple(mean), tuple(map(tuple, scale * np.eye(len(mean)))))

    @property
    def dim(self) -> int:
        return len(self.mean)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        chol = np.linalg.cholesky(np.asarray(self.cov))
        return np.asarray(self.mean) + rng.standard_normal((n, self.dim)) @ chol.T

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        points = np.asarray(x, dtype=float).reshape(-1, self.dim)
        return np.atleast_1d(stats.multivariate_normal(self.mean, self.cov).logpdf(points))


@dataclass(frozen=True)
class Univariate:
    """A one-dimensional scipy.stats distribution (``stats.beta(2, 3)``, ``stats.gamma(5)``)."""

    frozen: Any
    dim: int = 1

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.frozen.rvs(size=n, random_state=rng)).reshape(n, 1)

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        return self.frozen.logpdf(np.asarray(x, dtype=float).reshape(-1))


def beta(a: float, b: float) -> Univariate:
    return Univariate(stats.beta(a, b))


def gamma(shape: float, scale: float = 1.0) -> Univariate:
    return Univariate(stats.gamma(shape, scale=scale))
