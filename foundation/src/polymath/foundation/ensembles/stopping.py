"""Early stopping for each member of a batched ensemble, in plain torch.

Keras' ``EarlyStopping(patience, min_delta, restore_best_weights=True)`` applied to every member on
its own: a member whose monitored value improves by more than ``min_delta`` snapshots its weights;
one that has not improved for ``patience`` evaluations stops. A stopped member's parameters are held
at its snapshot after every optimizer step (masking its loss alone is not enough: Adam's momentum
and weight decay would still move it), and at the end every member returns to its best weights.
The state is a set of buffers, so it travels with the model's device and lives in checkpoints.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor, nn


class MemberEarlyStopping(nn.Module):
    """Per-member early stopping for ``model``, whose parameters all have the member axis first."""

    def __init__(
        self,
        model: nn.Module,
        patience: int = 10,
        min_delta: float = 0.0,
        mode: Literal["min", "max"] = "min",
    ) -> None:
        super().__init__()
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        params = dict(model.named_parameters())
        if not params:
            raise ValueError("MemberEarlyStopping needs a model with parameters")
        members = {p.shape[0] if p.ndim else 0 for p in params.values()}
        if len(members) != 1 or 0 in members:
            shapes = {name: tuple(p.shape) for name, p in params.items()}
            raise ValueError(f"every parameter must have the member axis first; got {shapes}")
        self.members = members.pop()
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.names = list(params)
        sign = 1.0 if mode == "min" else -1.0
        self.register_buffer("best", torch.full((self.members,), sign * float("inf")))
        self.register_buffer("wait", torch.zeros(self.members, dtype=torch.long))
        self.register_buffer("active", torch.ones(self.members, dtype=torch.bool))
        self.register_buffer("best_epoch", torch.full((self.members,), -1, dtype=torch.long))
        self.register_buffer("stopped_epoch", torch.full((self.members,), -1, dtype=torch.long))
        self.best_weights = nn.Module()
        for name, param in params.items():
            self.best_weights.register_buffer(_buffer_name(name), param.detach().clone())

    @property
    def all_stopped(self) -> bool:
        return not bool(self.active.any())

    def _pairs(self, model: nn.Module) -> list[tuple[Tensor, Tensor]]:
        params = dict(model.named_parameters())
        if list(params) != self.names:
            raise ValueError("MemberEarlyStopping was built for a model with other parameters")
        return [(params[n], getattr(self.best_weights, _buffer_name(n))) for n in self.names]

    @torch.no_grad()
    def update(self, model: nn.Module, values: Tensor, epoch: int) -> Tensor:
        """Takes one evaluation (one value per member); returns the mask of members it stopped.

        A NaN value never counts as an improvement. Stopped members are not updated again.
        """
        values = values.detach().reshape(-1).to(self.best)
        if values.numel() != self.members:
            raise ValueError(
                f"expected {self.members} values, one per member, got {values.numel()}"
            )
        if self.mode == "min":
            improved = values < self.best - self.min_delta
        else:
            improved = values > self.best + self.min_delta
        improved &= self.active
        self.best[improved] = values[improved]
        self.best_epoch[improved] = epoch
        for param, best in self._pairs(model):
            best[improved] = param[improved]
        self.wait[improved] = 0
        self.wait[self.active & ~improved] += 1
        stopped = self.active & (self.wait >= self.patience)
        self.stopped_epoch[stopped] = epoch
        self.active &= ~stopped
        return stopped

    @torch.no_grad()
    def hold(self, model: nn.Module) -> None:
        """Puts every stopped member back on its best weights (call after each optimizer step)."""
        if bool(self.active.all()):
            return
        for param, best in self._pairs(model):
            keep = self.active.view(-1, *([1] * (param.ndim - 1)))
            param.copy_(torch.where(keep, param, best))

    @torch.no_grad()
    def restore_best(self, model: nn.Module) -> None:
        """Every member that has been evaluated at least once returns to its best weights."""
        evaluated = self.best_epoch >= 0
        for param, best in self._pairs(model):
            param[evaluated] = best[evaluated]

    def table(self) -> list[dict[str, Any]]:
        """One row per member: its best value, the epoch of it, and the epoch it stopped (-1: never)."""
        return [
            {
                "member": k,
                "best": float(self.best[k]),
                "best_epoch": int(self.best_epoch[k]),
                "stopped_epoch": int(self.stopped_epoch[k]),
            }
            for k in range(self.members)
        ]

    def extra_repr(self) -> str:
        return f"members={self.members}, patience={self.patience}, min_delta={self.min_delta}, mode={self.mode}"


def _buffer_name(parameter_name: str) -> str:
    return parameter_name.replace(".", "__")
