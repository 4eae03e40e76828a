"""Output parametrizations: maps from the raw network output z to the classifier value f.

Every map is written in log space so that losses and ratios never take log 0 and stay finite for
extreme outputs: (0,1) links give (log f, log(1-f)) analytically, positive links give log f.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

Domain = Literal["unit", "positive"]

EPS = 1e-7
LOG_EPS = math.log(EPS)


@dataclass(frozen=True)
class Parametrization:
    """A link z -> f; `domain` says whether f lives in (0, 1) or in (0, inf)."""

    name: str
    domain: Domain

    def log_f(self, z: Tensor) -> Tensor:
        raise NotImplementedError

    def log_one_minus_f(self, z: Tensor) -> Tensor:
        raise ValueError(f"parametrization {self.name!r} is positive-valued: 1 - f is undefined")

    def f(self, z: Tensor) -> Tensor:
        return torch.exp(self.log_f(z))

    def log_odds(self, z: Tensor) -> Tensor:
        """log(f / (1 - f)) for (0,1) links."""
        return self.log_f(z) - self.log_one_minus_f(z)


class Sigmoid(Parametrization):
    def log_f(self, z: Tensor) -> Tensor:
        return torch.nn.functional.logsigmoid(z)

    def log_one_minus_f(self, z: Tensor) -> Tensor:
        return torch.nn.functional.logsigmoid(-z)

    def log_odds(self, z: Tensor) -> Tensor:
        return z


class Tanh(Parametrization):
    """f = (tanh z + 1) / 2, which equals sigmoid(2z)."""

    def log_f(self, z: Tensor) -> Tensor:
        return torch.nn.functional.logsigmoid(2 * z)

    def log_one_minus_f(self, z: Tensor) -> Tensor:
        return torch.nn.functional.logsigmoid(-2 * z)

    def log_odds(self, z: Tensor) -> Tensor:
        return 2 * z


class Arctan(Parametrization):
    """f = 1/2 + arctan(z)/pi, with 1 - f = atan2(1, z)/pi to avoid cancellation."""

    def log_f(self, z: Tensor) -> Tensor:
        return torch.log(torch.atan2(torch.ones_like(z), -z) / math.pi)

    def log_one_minus_f(self, z: Tensor) -> Tensor:
        return torch.log(torch.atan2(torch.ones_like(z), z) / math.pi)


class Probit(Parametrization):
    """f = Phi(z), the standard normal CDF."""

    def log_f(self, z: Tensor) -> Tensor:
        return torch.special.log_ndtr(z)

    def log_one_minus_f(self, z: Tensor) -> Tensor:
        return torch.special.log_ndtr(-z)


class Linear(Parametrization):
    """f = ReLU(z); EPS is added inside the log so that a dead unit gives log(EPS), not log 0."""

    def log_f(self, z: Tensor) -> Tensor:
        return torch.log(torch.relu(z) + EPS)

    def f(self, z: Tensor) -> Tensor:
        return torch.relu(z)


class Square(Parametrization):
    def log_f(self, z: Tensor) -> Tensor:
        return torch.log(z * z + EPS)

    def f(self, z: Tensor) -> Tensor:
        return z * z


class Exponential(Parametrization):
    def log_f(self, z: Tensor) -> Tensor:
        return z


PARAMETRIZATIONS: dict[str, Parametrization] = {
    "sigmoid": Sigmoid("sigmoid", "unit"),
    "tanh": Tanh("tanh", "unit"),
    "arctan": Arctan("arctan", "unit"),
    "probit": Probit("probit", "unit"),
    "linear": Linear("linear", "positive"),
    "square": Square("square", "positive"),
    "exponential": Exponential("exponential", "positive"),
}


def get_parametrization(name: str) -> Parametrization:
    """The link called `name`; raises ValueError naming the known links otherwise."""
    try:
        return PARAMETRIZATIONS[name]
    except KeyError:
        known = ", ".join(PARAMETRIZATIONS)
        raise ValueError(f"unknown parametrization {name!r}; known: {known}") from None
