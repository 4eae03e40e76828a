"""Loss functionals L[f] = -E_{p1}[A(f)] - E_{p0}[B(f)] and the map from their minimiser f to p1/p0.

Each functional is given twice: in plain f (A, B, ratio; what the theory and the tests use) and in
log space (what training uses): (0,1) losses take (log f, log(1-f)), positive losses take u = log f.
The log-space forms are the analytic versions the paper recommends (e.g. exp-MLC = -[y z + (1-y)(1-e^z)]).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from polymath.likelihood_ratio.parametrizations import (
    LOG_EPS,
    PARAMETRIZATIONS,
    Domain,
    Parametrization,
    get_parametrization,
)

MAX_EXPONENT = 50.0
"""Arguments of exp are clamped here: e^50 stays finite in float32 even summed over 1e7 samples."""


def safe_exp(x: Tensor) -> Tensor:
    return torch.exp(torch.clamp(x, max=MAX_EXPONENT))


@dataclass(frozen=True)
class LossFunctional:
    """A(f), B(f) and the map f -> likelihood ratio, plus their log-space twins for training.

    `ratio_exponent` k gives the ratio as (odds)^k for (0,1) losses and f^k for positive ones.
    """

    name: str
    domain: Domain
    A: Callable[[Tensor], Tensor]
    B: Callable[[Tensor], Tensor]
    ratio: Callable[[Tensor], Tensor]
    A_log: Callable[..., Tensor]
    B_log: Callable[..., Tensor]
    ratio_exponent: float
    params: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        extra = ",".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.name}({extra})" if extra else self.name


def bce() -> LossFunctional:
    return LossFunctional(
        "bce",
        "unit",
        A=torch.log,
        B=lambda f: torch.log1p(-f),
        ratio=lambda f: f / (1 - f),
        A_log=lambda lf, l1f: lf,
        B_log=lambda lf, l1f: l1f,
        ratio_exponent=1.0,
    )


def p_mse(p: float) -> LossFunctional:
    """A = -(1-f)^p, B = -f^p; ratio (f/(1-f))^(p-1). Concave with a unique optimum iff p<0 or p>1."""
    if 0 <= p <= 1:
        raise ValueError(
            f"p-MSE needs p < 0 or p > 1 (got p={p}): for 0 <= p <= 1 it has no interior optimum"
        )
    return LossFunctional(
        "p-mse",
        "unit",
        A=lambda f: -((1 - f) ** p),
        B=lambda f: -(f**p),
        ratio=lambda f: (f / (1 - f)) ** (p - 1),
        A_log=lambda lf, l1f: -safe_exp(p * l1f),
        B_log=lambda lf, l1f: -safe_exp(p * lf),
        ratio_exponent=p - 1,
        params={"p": p},
    )


def mse() -> LossFunctional:
    return _renamed(p_mse(2.0), "mse")


def r_sqr(r: float) -> LossFunctional:
    """A = -f^(-r/2), B = -f^(r/2); ratio f^r. Any r != 0 has a unique optimum."""
    if r == 0 or not math.isfinite(r):
        raise ValueError(f"r-SQR needs a finite r != 0 (got r={r}): r = 0 makes A and B constant")
    return LossFunctional(
        "r-sqr",
        "positive",
        A=lambda f: -(f ** (-r / 2)),
        B=lambda f: -(f ** (r / 2)),
        ratio=lambda f: f**r,
        A_log=lambda u: -safe_exp(-r * u / 2),
        B_log=lambda u: -safe_exp(r * u / 2),
        ratio_exponent=r,
        params={"r": r},
    )


def sqr() -> LossFunctional:
    return _renamed(r_sqr(1.0), "sqr")


def mlc() -> LossFunctional:
    return LossFunctional(
        "mlc",
        "positive",
        A=torch.log,
        B=lambda f: 1 - f,
        ratio=lambda f: f,
        A_log=lambda u: u,
        B_log=lambda u: 1 - safe_exp(u),
        ratio_exponent=1.0,
    )


def q_family(q: float) -> LossFunctional:
    """A = (f^q - 1)/q, B = 1 - f^(q+1)/(q+1); ratio f; q -> 0 is MLC. From the paper's second version."""
    if q == -1 or not math.isfinite(q):
        raise ValueError(f"the q family needs a finite q != -1 (got q={q})")
    if q == 0:
        return _with_params(mlc(), "q", {"q": 0.0})
    return LossFunctional(
        "q",
        "positive",
        A=lambda f: (f**q - 1) / q,
        B=lambda f: 1 - f ** (q + 1) / (q + 1),
        ratio=lambda f: f,
        A_log=lambda u: torch.expm1(torch.clamp(q * u, max=MAX_EXPONENT)) / q,
        B_log=lambda u: 1 - safe_exp((q + 1) * u) / (q + 1),
        ratio_exponent=1.0,
        params={"q": q},
    )


def _renamed(loss: LossFunctional, name: str) -> LossFunctional:
    return _with_params(loss, name, {})


def _with_params(loss: LossFunctional, name: str, params: dict[str, float]) -> LossFunctional:
    return LossFunctional(
        name,
        loss.domain,
        loss.A,
        loss.B,
        loss.ratio,
        loss.A_log,
        loss.B_log,
        loss.ratio_exponent,
        params,
    )


LOSSES: dict[str, Callable[..., LossFunctional]] = {
    "bce": bce,
    "mse": mse,
    "mlc": mlc,
    "sqr": sqr,
    "p-mse": p_mse,
    "r-sqr": r_sqr,
    "q": q_family,
}


def get_loss(name: str, **params: float) -> LossFunctional:
    """The loss `name` with its parameters (p for p-mse, r for r-sqr, q for q); clear errors otherwise."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    try:
        return LOSSES[name](**params)
    except TypeError:
        raise ValueError(f"loss {name!r} does not take parameters {sorted(params)}") from None


class Objective:
    """A loss paired with a parametrization: per-sample loss and log-ratio from raw outputs z."""

    def __init__(self, loss: LossFunctional, link: Parametrization) -> None:
        if loss.domain != link.domain:
            kind = "(0,1)" if loss.domain == "unit" else "positive"
            accepted = ", ".join(n for n, p in PARAMETRIZATIONS.items() if p.domain == loss.domain)
            raise ValueError(
                f"loss {loss.name!r} needs a {kind} parametrization ({accepted}); "
                f"{link.name!r} is {link.domain}"
            )
        self.loss = loss
        self.link = link

    @classmethod
    def from_names(cls, loss: str, link: str, **params: float) -> Objective:
        return cls(get_loss(loss, **params), get_parametrization(link))

    @property
    def label(self) -> str:
        return f"{self.loss.label}/{self.link.name}"

    def per_sample(self, z: Tensor, y: Tensor) -> Tensor:
        """-(y A(f) + (1-y) B(f)); (0,1) links are clipped at EPS like the reference's Keras losses."""
        if self.loss.domain == "unit":
            args = (
                torch.clamp(self.link.log_f(z), min=LOG_EPS),
                torch.clamp(self.link.log_one_minus_f(z), min=LOG_EPS),
            )
        else:
            args = (torch.clamp(self.link.log_f(z), max=MAX_EXPONENT),)
        return -(y * self.loss.A_log(*args) + (1 - y) * self.loss.B_log(*args))

    def log_ratio(self, z: Tensor) -> Tensor:
        g = self.link.log_odds(z) if self.loss.domain == "unit" else self.link.log_f(z)
        return torch.clamp(self.loss.ratio_exponent * g, -MAX_EXPONENT, MAX_EXPONENT)

    def ratio(self, z: Tensor) -> Tensor:
        return torch.exp(self.log_ratio(z))
