"""LightningModule: a batched ensemble trained on one loss/parametrization with per-member early stopping."""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
import torch
from torch import Tensor

from polymath.likelihood_ratio.losses import Objective
from polymath.likelihood_ratio.metrics import PerMemberMean, summarize
from polymath.likelihood_ratio.model import EnsembleMLP


class LikelihoodRatioEnsemble(L.LightningModule):
    """`members` classifiers trained together; each keeps its own Keras-style early stopping.

    After every validation epoch a member whose validation loss improved snapshots its weights; one
    that has not improved for `patience` epochs stops: its loss is masked and its weights are held at
    the snapshot. Fitting ends when every member has stopped (or at max_epochs), and all members end
    on their best weights. The ratio is read from the raw outputs through the objective's map.
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
        init: str = "torch",
        patience: int = 10,
        seed: int = 0,
        first_member: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        params = {k: v for k, v in {"p": p, "r": r, "q": q}.items() if v is not None}
        self.objective = Objective.from_names(loss, link, **params)
        self.model = EnsembleMLP(members, input_dim, hidden, dropout, init, seed, first_member)
        self.register_buffer("best_val", torch.full((members,), float("inf")))
        self.register_buffer("wait", torch.zeros(members, dtype=torch.long))
        self.register_buffer("active", torch.ones(members, dtype=torch.bool))
        self.register_buffer("stopped_epoch", torch.full((members,), -1, dtype=torch.long))
        for name, param in self._parameters_by_buffer_name():
            self.register_buffer(name, param.detach().clone())
        self.val_loss = PerMemberMean(members)
        self.test_mae = PerMemberMean(members)
        self.test_mean_ratio_mae = PerMemberMean(1)

    def _parameters_by_buffer_name(self) -> list[tuple[str, torch.nn.Parameter]]:
        return [("best_" + n.replace(".", "_"), p) for n, p in self.model.named_parameters()]

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
        active = self.active.to(per_member.dtype)
        self.log("train/loss", (per_member * active).sum() / active.sum().clamp_min(1))
        return (per_member * active).sum()

    def optimizer_step(self, *args, **kwargs) -> None:
        super().optimizer_step(*args, **kwargs)
        if not self.active.all():
            self._hold_stopped_members()

    @torch.no_grad()
    def _hold_stopped_members(self) -> None:
        stopped = ~self.active
        for name, param in self._parameters_by_buffer_name():
            param[stopped] = getattr(self, name)[stopped]

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        x, y = batch
        self.val_loss.update(self.objective.per_sample(self.model(x), y))

    def on_validation_epoch_end(self) -> None:
        val = self.val_loss.compute().to(self.best_val.dtype).reshape(-1)
        self.val_loss.reset()
        self.log("val/loss", val.mean())
        if self.trainer.sanity_checking:
            return
        self._early_stopping_update(val)
        self.log("val/active_members", self.active.sum().float())
        if not self.active.any():
            self.trainer.should_stop = True

    @torch.no_grad()
    def _early_stopping_update(self, val: Tensor) -> None:
        improved = self.active & (val < self.best_val)
        self.best_val[improved] = val[improved]
        for name, param in self._parameters_by_buffer_name():
            getattr(self, name)[improved] = param[improved]
        self.wait[improved] = 0
        self.wait[self.active & ~improved] += 1
        newly_stopped = self.active & (self.wait >= self.hparams.patience)
        self.stopped_epoch[newly_stopped] = self.current_epoch
        self.active &= ~newly_stopped

    @torch.no_grad()
    def on_fit_end(self) -> None:
        """Every member ends on its best weights, like Keras' restore_best_weights."""
        have_snapshot = torch.isfinite(self.best_val)
        for name, param in self._parameters_by_buffer_name():
            param[have_snapshot] = getattr(self, name)[have_snapshot]

    def test_step(self, batch: tuple[Tensor, Tensor, Tensor], batch_idx: int) -> None:
        x, _, exact = batch
        ratio = self.objective.ratio(self.model(x))
        self.test_mae.update((ratio - exact).abs())
        self.test_mean_ratio_mae.update((ratio.mean(0, keepdim=True) - exact).abs())

    def on_test_epoch_end(self) -> None:
        self.member_mae = self.test_mae.compute().cpu().reshape(-1)
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

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr, eps=self.hparams.adam_eps)
