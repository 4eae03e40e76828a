"""Training and evaluation of the counting transformer: cross-entropy over counts per region."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
from lightning import LightningModule
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassExactMatch

from polymath.counting_transformers.data import IGNORE
from polymath.counting_transformers.model import CountingTransformer, Decoder, Position
from polymath.foundation import load_model
from polymath.foundation.schedules import warmup_cosine

if TYPE_CHECKING:
    from polymath.counting_transformers.datamodule import CountingDataModule

IN_DISTRIBUTION = "id"


class CountingModule(LightningModule):
    """Fits a :class:`CountingTransformer`; evaluates per-region and per-sequence accuracy.

    Evaluation batches carry the name of their set (``"id"`` or an out-of-distribution grid point
    such as ``"L128_R4"``); each set gets its own metrics, logged as ``test/acc_region`` for the
    in-distribution set and ``test/ood/<name>/acc_region`` for the others.
    """

    def __init__(
        self,
        max_count: int,
        max_regions: int = 8,
        d_model: int = 64,
        n_heads: int = 1,
        encoder_layers: int = 1,
        decoder_layers: int = 1,
        d_ff: int | None = None,
        causal: bool = True,
        position: Position = "none",
        decoder: Decoder = "full",
        max_length: int = 1024,
        lr: float = 1e-3,
        weight_decay: float = 0.01,
        warmup_steps: int = 100,
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if lr <= 0 or weight_decay < 0 or warmup_steps < 0:
            raise ValueError(
                f"lr must be > 0, weight_decay and warmup_steps >= 0 "
                f"(got {lr}, {weight_decay}, {warmup_steps})"
            )
        self.model = CountingTransformer(
            num_classes=max_count + 1,
            max_regions=max_regions,
            d_model=d_model,
            n_heads=n_heads,
            encoder_layers=encoder_layers,
            decoder_layers=decoder_layers,
            d_ff=d_ff,
            causal=causal,
            position=position,
            decoder=decoder,
            max_length=max_length,
        )
        if init_from is not None:  # start from an earlier run's weights (same shapes)
            self.model.load_state_dict(load_model(init_from).state_dict())
        self.eval_metrics = nn.ModuleDict()
        self.results: dict[str, dict[str, float]] = {}

    def forward(self, batch: dict[str, Any], return_attention: bool = False):
        return self.model(
            batch["tokens"],
            batch["queries"],
            batch["query_mask"],
            return_attention=return_attention,
        )

    def _loss(self, batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        counts = batch["counts"]
        if int(counts.max()) > self.hparams.max_count:
            raise ValueError(
                f"a region holds {int(counts.max())} ones, above max_count={self.hparams.max_count}"
            )
        logits = self(batch)
        loss = nn.functional.cross_entropy(
            logits.flatten(0, 1), counts.flatten(), ignore_index=IGNORE
        )
        return loss, logits

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        loss, logits = self._loss(batch)
        mask = batch["query_mask"]
        accuracy = (logits.argmax(-1) == batch["counts"])[mask].float().mean()
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/acc_region", accuracy, prog_bar=True)
        return loss

    def _metrics(self, stage: str, name: str) -> MetricCollection:
        key = f"{stage}_{name}"
        if key not in self.eval_metrics:
            classes = self.hparams.max_count + 1
            prefix = f"{stage}/" if name == IN_DISTRIBUTION else f"{stage}/ood/{name}/"
            self.eval_metrics[key] = MetricCollection(
                {
                    "acc_region": MulticlassAccuracy(classes, average="micro", ignore_index=IGNORE),
                    "acc_sequence": MulticlassExactMatch(classes, ignore_index=IGNORE),
                },
                prefix=prefix,
            ).to(self.device)
        return self.eval_metrics[key]

    def _evaluate(self, stage: str, batch: dict[str, Any]) -> None:
        loss, logits = self._loss(batch)
        name = batch.get("name", IN_DISTRIBUTION)
        metrics = self._metrics(stage, name)
        metrics.update(logits.argmax(-1), batch["counts"])
        if name == IN_DISTRIBUTION:
            self.log(f"{stage}/loss", loss, add_dataloader_idx=False, batch_size=len(logits))
        for metric_name, metric in metrics.items(keep_base=True):
            # the metrics of each set are created on first use, so name their attribute for Lightning
            self.log(
                f"{metrics.prefix}{metric_name}",
                metric,
                metric_attribute=f"eval_metrics.{stage}_{name}.{metric_name}",
                add_dataloader_idx=False,
                batch_size=len(logits),
            )

    def validation_step(
        self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        self._evaluate("val", batch)

    def test_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate("test", batch)

    def on_test_epoch_end(self) -> None:
        """Keeps every set's test accuracies in ``self.results`` for reports and sweeps."""
        self.results = {
            key.removeprefix("test_"): {
                metric.rsplit("/", 1)[-1]: float(value)
                for metric, value in collection.compute().items()
            }
            for key, collection in self.eval_metrics.items()
            if key.startswith("test_")
        }

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        scheduler = warmup_cosine(optimizer, min(self.hparams.warmup_steps, total), total)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


def check_recipe(
    config: Mapping[str, Any], module: CountingModule, datamodule: CountingDataModule
) -> None:
    """The model must hold every count, region and length the data produces (the package's
    ``check``: a mismatch is refused before any run exists, not at the first batch)."""
    tasks = list(datamodule.eval_sets("test").values())  # the training task is the "id" set
    needed = {
        "max_count": datamodule.max_count,
        "max_regions": max(_largest(task["regions"]) for task in tasks),
    }
    if module.hparams.position == "learned":
        needed["max_length"] = max(_largest(task["length"]) for task in tasks)
    for name, value in needed.items():
        if module.hparams[name] < value:
            raise ValueError(
                f"model.{name}={module.hparams[name]} is below what the data produces ({value}); "
                f"accepted: model.{name} >= {value}"
            )


def _largest(value: int | Sequence[int]) -> int:
    return int(value) if isinstance(value, int) else max(value)
