"""LightningModule: a batched ensemble trained on one loss/parametrization with per-member early stopping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch
from torch import Tensor

from polymath.foundation.ensembles import MemberEarlyStopping, MemberMean
from polymath.foundation.ensembles.lightning import EnsembleModule
from polymath.likelihood_ratio.losses import Objective
from polymath.likelihood_ratio.metrics import summarize
from polymath.likelihood_ratio.model import RatioMLP


class LikelihoodRatioEnsemble(EnsembleModule):
    """`members` classifiers trained together; each keeps its own Keras-style early stopping.

    Each member stops on its own validation loss (``patience``, ``min_delta``) and ends on its best
    weights, as with Keras' ``EarlyStopping(restore_best_weights=True)``; fitting ends when every
    member has stopped or at ``max_epochs`` (foundation's ``EnsembleModule``). ``val/loss`` is the
    mean over members, with ``/min`` and ``/max``; ``log_each_member`` adds one curve per member.
    The ratio is read from the raw outputs through the objective's map.
    """

    def __init__(
        self,
        loss: str = "mlc",
        link: str = "exponential",
        p: float | None = None,
        r: float | None = None,
        q: float | None = None,
        members: int = 10,
        input_dim: int = 1,
        hidden: Sequence[int] = (64, 128, 64),
        dropout: float = 0.1,
        lr: float = 1e-3,
        adam_eps: float = 1e-8,
        init: Literal["torch", "keras"] = "torch",
        patience: int = 10,
        min_delta: float = 0.0,
        seed: int = 0,
        first_member: int = 0,
        log_each_member: bool = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        params = {k: v for k, v in {"p": p, "r": r, "q": q}.items() if v is not None}
        self.objective = Objective.from_names(loss, link, **params)
        self.model = RatioMLP(members, input_dim, hidden, dropout, init, seed, first_member)
        self.member_stopping = MemberEarlyStopping(self.model, patience, min_delta)
        self.val_loss = MemberMean(members)
        self.test_mae = MemberMean(members)
        self.test_mean_ratio_mae = MemberMean(1)
        self.member_mae: Tensor | None = None  # (members,), set by the test epoch
        self.example_input_array = torch.zeros(2, input_dim)  # the input example of logged models

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        if stage == "fit" and datamodule is not None and hasattr(datamodule, "standardization"):
            self.model.set_standardization(*datamodule.standardization)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)

    @torch.no_grad()
    def likelihood_ratio(self, x: Tensor, chunk: int = 65_536) -> Tensor:
        """Ratios (members, n) for raw inputs x (n, d), in eval mode."""
        was_training = self.training
        self.eval()
        x = torch.as_tensor(x, dtype=torch.float32, device=self.device)
        out = torch.cat([self.objective.ratio(self.model(part)) for part in x.split(chunk)], dim=1)
        self.train(was_training)
        return out

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        x, y = batch
        per_member = self.objective.per_sample(self.model(x), y).mean(1)
        active = self.member_stopping.active.to(per_member.dtype)
        self.log("train/loss", (per_member * active).sum() / active.sum().clamp_min(1))
        return self.active_loss(per_member)

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        x, y = batch
        self.val_loss.update(self.objective.per_sample(self.model(x), y))

    def on_validation_epoch_end(self) -> None:
        val = self.val_loss.compute()
        self.val_loss.reset()
        self.log_members("val/loss", val, each=self.hparams.log_each_member)
        self.stop_members(val)

    def test_step(self, batch: tuple[Tensor, Tensor, Tensor], batch_idx: int) -> None:
        x, _, exact = batch
        ratio = self.objective.ratio(self.model(x))
        self.test_mae.update((ratio - exact).abs())
        self.test_mean_ratio_mae.update((ratio.mean(0, keepdim=True) - exact).abs())

    def on_test_epoch_end(self) -> None:
        self.member_mae = self.test_mae.compute().cpu()
        mean, std = summarize(self.member_mae)
        self.log_dict(
            {
                "test/mae_mean": mean,
                "test/mae_std": std,
                "test/mae_ensemble_ratio": self.test_mean_ratio_mae.compute().item(),
            }
        )
        self.test_mae.reset()
        self.test_mean_ratio_mae.reset()

    def member_table(self) -> list[dict[str, Any]]:
        """One row per member: best validation loss, its epoch, stop epoch and (after test) MAE."""
        rows = self.member_stopping.table()
        if self.member_mae is not None:
            for row, mae in zip(rows, self.member_mae.tolist(), strict=True):
                row["test_mae"] = mae
        return rows

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr, eps=self.hparams.adam_eps)
