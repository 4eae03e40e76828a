"""Two-sample problems with exact likelihood ratios; y = 1 marks the numerator ("signal") density."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from polymath.likelihood_ratio.data import distributions
from polymath.likelihood_ratio.data.distributions import Distribution, Gaussian


class RatioProblem(Protocol):
    name: str
    dim: int

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]: ...

    def log_likelihood_ratio(self, x: np.ndarray) -> np.ndarray: ...

    def likelihood_ratio(self, x: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class TwoSampleDataset:
    """Labels ~ Bernoulli(signal_fraction); x ~ signal if y = 1 else background; LR = p_signal/p_background."""

    name: str
    signal: Distribution
    background: Distribution
    signal_fraction: float = 0.5

    @property
    def dim(self) -> int:
        return self.signal.dim

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(x float32 of shape (n, dim), y float32 of shape (n,)), reproducible from `seed`."""
        rng = np.random.default_rng(seed)
        y = (rng.random(n) < self.signal_fraction).astype(np.float32)
        x = np.empty((n, self.dim), dtype=np.float32)
        n_signal = int(y.sum())
        x[y == 1] = self.signal.sample(n_signal, rng)
        x[y == 0] = self.background.sample(n - n_signal, rng)
        return x, y

    def log_likelihood_ratio(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float).reshape(-1, self.dim)
        return self.signal.log_prob(x) - self.background.log_prob(x)

    def likelihood_ratio(self, x: np.ndarray) -> np.ndarray:
        return np.exp(self.log_likelihood_ratio(x))


def normal(epsilon: float = 0.1, center: float = 0.0) -> TwoSampleDataset:
    """N(center - eps, 1) (background) vs N(center + eps, 1) (signal)."""
    return TwoSampleDataset(
        "normal",
        Gaussian.isotropic([center + epsilon]),
        Gaussian.isotropic([center - epsilon]),
    )


def shifted_normal() -> TwoSampleDataset:
    """N(9.9, 1) vs N(10.1, 1): the same problem far from the origin."""
    return TwoSampleDataset("shifted_normal", Gaussian.isotropic([10.1]), Gaussian.isotropic([9.9]))


def beta() -> TwoSampleDataset:
    return TwoSampleDataset("beta", distributions.beta(3, 2), distributions.beta(2, 3))


def gamma() -> TwoSampleDataset:
    return TwoSampleDataset("gamma", distributions.gamma(6), distributions.gamma(5))


def _gauss2d(name: str, mean: tuple, cov_signal: tuple, cov_background: tuple) -> TwoSampleDataset:
    mean = np.asarray(mean, dtype=float)
    return TwoSampleDataset(
        name,
        Gaussian(tuple(mean), cov_signal),
        Gaussian(tuple(-mean), cov_background),
    )


IDENTITY = ((1.0, 0.0), (0.0, 1.0))


def vertical(shift: float = 0.1) -> TwoSampleDataset:
    return _gauss2d("vertical", (shift, 0.0), IDENTITY, IDENTITY)


def slant(shift: float = 0.1) -> TwoSampleDataset:
    s = shift / np.sqrt(2)
    return _gauss2d("slant", (s, -s), IDENTITY, IDENTITY)


def circle(shift: float = 0.1) -> TwoSampleDataset:
    """Means (-shift, 0) vs (+shift, 0); covariance 2I (background) vs I (signal)."""
    return _gauss2d("circle", (shift, 0.0), IDENTITY, ((2.0, 0.0), (0.0, 2.0)))


def hyperbola(shift: float = 0.0) -> TwoSampleDataset:
    """Covariance diag(2, 1) (background) vs diag(1, 2) (signal); the notes give no mean shift."""
    return _gauss2d("hyperbola", (shift, 0.0), ((1.0, 0.0), (0.0, 2.0)), ((2.0, 0.0), (0.0, 1.0)))


def checker(shift: float = 0.0, correlation: float = 0.25) -> TwoSampleDataset:
    """Covariance [[2, -c], [-c, 1]] (background) vs [[2, c], [c, 1]] (signal)."""
    c = correlation
    return _gauss2d("checker", (shift, 0.0), ((2.0, c), (c, 1.0)), ((2.0, -c), (-c, 1.0)))


def gaussian_nd(dim: int = 2, shift: float = 0.1, spread: bool = False) -> TwoSampleDataset:
    """Identity covariances; +-shift on the first axis, or +-shift/sqrt(d) on every axis if `spread`."""
    if dim < 1:
        raise ValueError(f"gaussian_nd needs dim >= 1 (got {dim})")
    mean = np.full(dim, shift / np.sqrt(dim)) if spread else np.eye(dim)[0] * shift
    return TwoSampleDataset(f"gaussian_{dim}d", Gaussian.isotropic(mean), Gaussian.isotropic(-mean))


DATASETS: dict[str, Callable[..., RatioProblem]] = {
    "normal": normal,
    "shifted_normal": shifted_normal,
    "beta": beta,
    "gamma": gamma,
    "vertical": vertical,
    "slant": slant,
    "circle": circle,
    "hyperbola": hyperbola,
    "checker": checker,
    "gaussian_nd": gaussian_nd,
}


def register_dataset(name: str, factory: Callable[..., RatioProblem]) -> None:
    DATASETS[name] = factory


def get_dataset(name: str, **params: object) -> RatioProblem:
    """The problem `name` built with `params`; raises ValueError on unknown names or parameters."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    try:
        return DATASETS[name](**params)
    except TypeError as err:
        raise ValueError(f"dataset {name!r}: bad parameters {sorted(params)} ({err})") from None
