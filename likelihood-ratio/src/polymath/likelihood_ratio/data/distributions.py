"""Densities with closed-form log-pdfs (numpy) and seeded samplers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import gammaln


class Distribution(Protocol):
    dim: int

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray: ...

    def log_prob(self, x: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Gaussian:
    """N(mean, cov) in d dimensions."""

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
        cov = np.asarray(self.cov)
        chol = np.linalg.cholesky(cov)
        diff = np.asarray(x, dtype=float).reshape(-1, self.dim) - np.asarray(self.mean)
        white = np.linalg.solve(chol, diff.T)
        log_det = 2 * np.log(np.diag(chol)).sum()
        return -0.5 * (white**2).sum(0) - 0.5 * (self.dim * np.log(2 * np.pi) + log_det)


@dataclass(frozen=True)
class Beta:
    a: float
    b: float
    dim: int = 1

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.beta(self.a, self.b, size=(n, 1))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float).reshape(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = (self.a - 1) * np.log(x) + (self.b - 1) * np.log1p(-x)
        log_norm = gammaln(self.a + self.b) - gammaln(self.a) - gammaln(self.b)
        return np.where((x > 0) & (x < 1), inside + log_norm, -np.inf)


@dataclass(frozen=True)
class Gamma:
    shape: float
    scale: float = 1.0
    dim: int = 1

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size=(n, 1))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float).reshape(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = (self.shape - 1) * np.log(x) - x / self.scale
        log_norm = -gammaln(self.shape) - self.shape * np.log(self.scale)
        return np.where(x > 0, inside + log_norm, -np.inf)
