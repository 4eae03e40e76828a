"""The LightningModule that trains AViT on a mixture of PDE datasets."""

from __future__ import annotations

from typing import Literal

import lightning as L
import torch
from torch import Tensor

from polymath.foundation import load_model
from polymath.foundation.metrics import NormalizedRMSE
from polymath.foundation.schedules import warmup_cosine
from polymath.mpp.checkpoint import load_reference_checkpoint
from polymath.mpp.fields import REFERENCE_N_STATES, SYSTEM_FIELDS
from polymath.mpp.losses import normalized_mse
from polymath.mpp.model import AViT, Size

Freeze = Literal["none", "frozen", "less_frozen"]


class MPPModule(L.LightningModule):
    """Normalised-MSE training of AViT; NRMSE per dataset and field in validation and test.

    The model starts from scratch, from one of our saved models (``init_from``) or from the
    reference's released weights (``reference_checkpoint``). Before the optimizer is built it grows
    to the datamodule's field slots (new fields appended) and is frozen as ``freeze`` says.
    The schedule steps once per optimizer step (the reference stepped it per epoch or micro-batch).
    """

    def __init__(
        self,
        size: Size | None = "Ti",
        embed_dim: int | None = None,
        num_heads: int | None = None,
        depth: int | None = None,
        n_states: int = REFERENCE_N_STATES,
        drop_path: float = 0.2,
        bias_max_distance: int = 32,
        residual: bool = False,
        lr: float = 1e-3,
        weight_decay: float = 1e-3,
        warmup_steps: int = 1000,
        min_lr_ratio: float = 0.01,
        freeze: Freeze = "none",
        init_from: str | None = None,
        reference_checkpoint: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if init_from and reference_checkpoint:
            raise ValueError("give init_from or reference_checkpoint, not both")
        architecture = {
            "size": size,
            "embed_dim": embed_dim,
            "num_heads": num_heads,
            "depth": depth,
            "drop_path": drop_path,
            "bias_max_distance": bias_max_distance,
            "residual": residual,
        }
        if reference_checkpoint:  # its n_states; its size must be the one asked for
            self.model = load_reference_checkpoint(reference_checkpoint, **architecture)
        elif init_from:
            self.model = _load_model(init_from)
        else:
            self.model = AViT(n_states=n_states, **architecture)
        self._metrics: dict[str, dict[str, NormalizedRMSE]] = {}

    def forward(self, history: Tensor, fields: Tensor, bcs: Tensor | None = None) -> Tensor:
        return self.model(history, fields, bcs)

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer else None
        if datamodule is not None and hasattr(datamodule, "n_states"):
            self.model.expand_fields(datamodule.n_states)
        self.model.freeze(self.hparams.freeze)

    def _step(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        fields = batch["fields"][0] if batch["fields"].ndim == 2 else batch["fields"]
        return self.model(batch["x"], fields, batch["bcs"]), batch["y"]

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        pred, target = self._step(batch)
        loss = normalized_mse(pred, target)
        self.log("train/loss", loss, prog_bar=True, batch_size=target.shape[0])
        return loss

    def _dataset_names(self) -> list[tuple[str, tuple[str, ...]]]:
        datamodule = getattr(self.trainer, "datamodule", None)
        specs = getattr(datamodule, "specs", None)
        if specs is None:
            raise RuntimeError(
                "MPPModule validates on an MPPDataModule (it names datasets and fields)"
            )
        return [(spec.name, SYSTEM_FIELDS[spec.system]) for spec in specs]

    def _evaluate(self, batch: dict[str, Tensor], dataloader_idx: int, stage: str) -> None:
        name, fields = self._dataset_names()[dataloader_idx]
        metrics = self._metrics.setdefault(f"{stage}/{name}", {})
        if not metrics:
            for kind in ("model", "persistence"):
                metrics[kind] = NormalizedRMSE(num_fields=len(fields), per_field=True).to(
                    self.device
                )
        pred, target = self._step(batch)
        metrics["model"].update(pred, target)
        metrics["persistence"].update(batch["x"][:, -1], target)

    def validation_step(
        self, batch: dict[str, Tensor], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        self._evaluate(batch, dataloader_idx, "val")

    def test_step(self, batch: dict[str, Tensor], batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate(batch, dataloader_idx, "test")

    def _log_metrics(self, stage: str) -> None:
        means = []
        for name, fields in self._dataset_names():
            metrics = self._metrics.pop(f"{stage}/{name}", None)
            if metrics is None:
                continue
            by_field = metrics["model"].compute().reshape(-1)  # torchmetrics squeezes one field
            persistence = metrics["persistence"].compute()
            for field, value in zip(fields, by_field):
                self.log(f"{stage}/nrmse/{name}/{field}", value, add_dataloader_idx=False)
            self.log(f"{stage}/nrmse/{name}", by_field.mean(), add_dataloader_idx=False)
            self.log(f"{stage}/persistence/{name}", persistence.mean(), add_dataloader_idx=False)
            means.append(by_field.mean())
        if means:
            self.log(
                f"{stage}/nrmse", torch.stack(means).mean(), prog_bar=True, add_dataloader_idx=False
            )

    def on_validation_epoch_end(self) -> None:
        self._log_metrics("val")

    def on_test_epoch_end(self) -> None:
        self._log_metrics("test")

    def configure_optimizers(self):
        decay = [p for p in self.model.parameters() if p.requires_grad and p.ndim >= 2]
        no_decay = [p for p in self.model.parameters() if p.requires_grad and p.ndim < 2]
        optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": self.hparams.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=self.hparams.lr,
        )
        total = max(1, int(self.trainer.estimated_stepping_batches))
        schedule = warmup_cosine(
            optimizer, self.hparams.warmup_steps, total, self.hparams.min_lr_ratio
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def _load_model(source: str) -> AViT:
    """foundation's ``load_model``: a run id, a ``runs:/`` or ``models:/`` URI, a file or a checkpoint."""
    model = load_model(source)
    if not isinstance(model, AViT):
        raise ValueError(f"{source} holds a {type(model).__name__}, not an AViT")
    return model
