"""A LightningModule base for batched ensembles trained with per-member early stopping."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor, nn

from polymath.foundation.ensembles.stopping import MemberEarlyStopping


class EnsembleModule(L.LightningModule):
    """Trains ``self.model`` (a batched ensemble) with ``self.member_stopping`` in charge of each member.

    A subclass builds ``self.model`` and ``self.member_stopping = MemberEarlyStopping(self.model,
    patience=...)`` in ``__init__``, returns ``self.active_loss(per_member_losses)`` from
    ``training_step`` and calls ``self.stop_members(per_member_values)`` at the end of each
    validation epoch. This base then holds stopped members still after every optimizer step, ends
    the fit once every member has stopped, and puts every member on its best weights when the fit
    ends. The stopping state is part of the module's state, so checkpoints resume it.
    A subclass that overrides ``optimizer_step`` or ``on_fit_end`` calls ``super()``.
    """

    model: nn.Module
    member_stopping: MemberEarlyStopping

    def active_loss(self, per_member: Tensor) -> Tensor:
        """The sum of the members' losses, stopped members left out (even a NaN of theirs).

        A sum, not a mean, so that each member's gradient is the one it would get trained alone.
        """
        return torch.where(self.member_stopping.active, per_member, 0.0).sum()

    def stop_members(self, values: Tensor) -> Tensor:
        """Feeds one evaluation (one value per member) to early stopping; returns who stopped now.

        Ignored during Lightning's sanity check. Logs ``val/active_members``.
        """
        if self.trainer.sanity_checking:
            return torch.zeros_like(self.member_stopping.active)
        stopped = self.member_stopping.update(self.model, values, self.current_epoch)
        self.log("val/active_members", self.member_stopping.active.sum().float())
        if self.member_stopping.all_stopped:
            self.trainer.should_stop = True
        return stopped

    def log_members(self, name: str, values: Tensor, each: bool = False, **kwargs: Any) -> None:
        """Logs ``name`` (the mean over members), ``name/min`` and ``name/max``; with ``each``, also
        ``name/member_<k>`` for every member (a curve per member in MLflow)."""
        values = values.detach().float().reshape(-1)
        scalars = {name: values.mean(), f"{name}/min": values.min(), f"{name}/max": values.max()}
        if each:
            width = len(str(len(values) - 1))
            scalars |= {f"{name}/member_{k:0{width}d}": v for k, v in enumerate(values)}
        self.log_dict(scalars, **kwargs)

    def optimizer_step(self, *args: Any, **kwargs: Any) -> None:
        super().optimizer_step(*args, **kwargs)
        self.member_stopping.hold(self.model)

    def on_fit_end(self) -> None:
        self.member_stopping.restore_best(self.model)
