"""Equivariance error: ‖f(ρ_in(g)x) − ρ_out(g)f(x)‖ / (‖ρ_out(g)f(x)‖ + ε), per sample.

A torchmetrics metric (``EquivarianceError``) and its functional twin (``equivariance_error``).
An invariant model is the case ρ_out(g) = identity (``act_out=None``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torchmetrics import Metric

Action = Callable[[Tensor, Tensor], Tensor]
"""``act(g, x)``: the representation of group elements ``g`` applied to a batch ``x``."""


def relative_error(
    transformed_then_f: Tensor, f_then_transformed: Tensor, eps: float = 1e-12
) -> Tensor:
    """Per-sample ‖a − b‖ / (‖b‖ + ε), norms over every axis but the first."""
    difference = (transformed_then_f - f_then_transformed).flatten(1).norm(dim=1)
    return difference / (f_then_transformed.flatten(1).norm(dim=1) + eps)


def equivariance_error(
    f: Callable[[Tensor], Tensor],
    x: Tensor,
    g: Tensor,
    act_in: Action,
    act_out: Action | None = None,
    eps: float = 1e-12,
) -> Tensor:
    """The per-sample relative equivariance error of ``f`` at inputs ``x`` and group elements ``g``."""
    with torch.no_grad():
        f_of_gx = f(act_in(g, x))
        fx = f(x)
        g_of_fx = fx if act_out is None else act_out(g, fx)
    return relative_error(f_of_gx, g_of_fx, eps)


class EquivarianceError(Metric):
    """Accumulates per-sample equivariance errors, and the size of each group element if given.

    ``compute()`` returns ``{"mean": ..., "max": ...}``; ``by_size(edges)`` the mean error in bins of
    the group element's size (rotation angle, rapidity), to see error grow with the transformation.
    """

    full_state_update = False

    def __init__(self, eps: float = 1e-12, **kwargs) -> None:
        super().__init__(**kwargs)
        self.eps = eps
        self.add_state("errors", default=[], dist_reduce_fx="cat")
        self.add_state("sizes", default=[], dist_reduce_fx="cat")

    def update(self, f_of_gx: Tensor, g_of_fx: Tensor, size: Tensor | None = None) -> None:
        errors = relative_error(f_of_gx.detach(), g_of_fx.detach(), self.eps)
        self.errors.append(errors)
        self.sizes.append(
            size.detach().to(errors) if size is not None else torch.full_like(errors, float("nan"))
        )

    def compute(self) -> dict[str, Tensor]:
        errors = self._all(self.errors)
        return {"mean": errors.mean(), "max": errors.max()}

    def by_size(self, edges: Tensor) -> tuple[Tensor, Tensor]:
        """Mean error per bin of size between consecutive ``edges``: (bin centres, mean errors)."""
        errors, sizes = self._all(self.errors), self._all(self.sizes)
        edges = edges.to(sizes)
        centres = (edges[1:] + edges[:-1]) / 2
        means = torch.full_like(centres, float("nan"))
        bins = torch.bucketize(sizes, edges[1:-1])
        for b in range(len(centres)):
            selected = errors[(bins == b) & ~sizes.isnan()]
            if selected.numel():
                means[b] = selected.mean()
        return centres, means

    @staticmethod
    def _all(state: list[Tensor] | Tensor) -> Tensor:
        if isinstance(state, Tensor):
            return state
        if not state:
            raise ValueError("EquivarianceError has no samples: call update() first")
        return torch.cat(state)
