"""NumformerModule: training (CE + λ·MSE) and evaluation (MSE and R² per key) of a Numformer.

The network is built in ``setup`` from the datamodule's tokenizer and scaler (vocabulary size,
encoding, number head on for xVal only), or at construction when ``vocab_size`` is given.
Evaluation predicts every target number (masked-LM: one masked pass; causal: greedy generation of
its tokens) and logs ``<stage>/mse``, ``<stage>/mse_<key>``, ``<stage>/r2_<key>`` and
``<stage>/invalid``; the second test loader is out-of-distribution (``test/ood/...``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from lightning import LightningModule

from polymath.xval.inference import predict_causal, predict_masked
from polymath.xval.losses import numformer_loss, targets
from polymath.xval.metrics import number_metrics
from polymath.xval.model import Numformer
from polymath.xval.tokenizer import NumberTokenizer

STAGE_SETS = {0: "", 1: "ood/"}


class NumformerModule(LightningModule):
    def __init__(
        self,
        d_model: int = 768,
        n_heads: int = 6,
        n_layers: int = 6,
        d_ff: int | None = None,
        context: int = 1024,
        dropout: float = 0.1,
        causal: bool = False,
        number_weight: float = 1.0,
        lr: float = 1e-4,
        weight_decay: float = 0.01,
        warmup_steps: int = 0,
        vocab_size: int | None = None,
        number_head: bool = True,
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model: Numformer | None = None
        self.tokenizer: NumberTokenizer | None = None
        self.results: dict[str, dict[str, float]] = {}
        self.predictions: dict[str, dict[str, Any]] = {}
        self._outputs: dict[str, list] = {}
        if init_from is not None:
            self.model = _load_model(init_from)
            self.tokenizer = _tokenizer_of(self.model)
        elif vocab_size is not None:
            self.model = self._build(vocab_size, number_head)

    def _build(self, vocab_size: int, number_head: bool, **extra: Any) -> Numformer:
        hp = self.hparams
        return Numformer(
            vocab_size=vocab_size,
            d_model=hp.d_model,
            n_heads=hp.n_heads,
            n_layers=hp.n_layers,
            d_ff=hp.d_ff,
            context=hp.context,
            dropout=hp.dropout,
            causal=hp.causal,
            number_head=number_head,
            **extra,
        )

    def setup(self, stage: str) -> None:
        datamodule = self.trainer.datamodule if self.trainer is not None else None
        if datamodule is None or not hasattr(datamodule, "tokenizer"):
            if self.model is None:
                raise ValueError("NumformerModule needs vocab_size or an XvalDataModule")
            return
        if datamodule.scaler is None:
            datamodule.setup(stage)
        tokenizer = datamodule.tokenizer
        self.tokenizer = tokenizer
        if self.model is None:
            number_head = tokenizer.encoding == "xval"
            self.hparams.vocab_size, self.hparams.number_head = tokenizer.vocab_size, number_head
            self.model = self._build(
                tokenizer.vocab_size,
                number_head,
                tokenizer=tokenizer.to_str(),
                scaler=datamodule.scaler.to_dict(),
            ).to(self.device)

    def forward(self, ids, values=None, padding=None):
        return self.model(ids, values, padding)

    def _loss(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        inputs = targets(batch, self.hparams.causal)
        at = inputs["labels"] != -100
        logits, numbers = self.model(inputs["ids"], inputs["values"], inputs["padding"], at=at)
        return numformer_loss(
            logits,
            numbers,
            inputs["labels"][at],
            inputs["label_values"][at],
            self.hparams.number_weight,
        )

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        losses = self._loss(batch)
        size = len(batch["ids"])
        self.log("train/loss", losses["loss"], prog_bar=True, batch_size=size)
        self.log("train/loss_token", losses["token"], batch_size=size)
        self.log("train/loss_number", losses["number"], batch_size=size)
        return losses["loss"]

    def _evaluate(self, stage: str, batch: dict[str, Any], dataloader_idx: int) -> None:
        name = f"{stage}/{STAGE_SETS.get(dataloader_idx, f'set{dataloader_idx}/')}"
        predict = predict_causal if self.hparams.causal else predict_masked
        predicted = predict(self.model, self.tokenizer, batch)
        outputs = self._outputs.setdefault(name, [])
        outputs.append((batch["keys"], batch["truth"].cpu().numpy(), predicted.cpu().numpy()))
        if dataloader_idx == 0:
            losses = self._loss(batch)
            self.log(
                f"{stage}/loss",
                losses["loss"],
                batch_size=len(batch["ids"]),
                add_dataloader_idx=False,
            )

    def validation_step(
        self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        self._evaluate("val", batch, dataloader_idx)

    def test_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0) -> None:
        self._evaluate("test", batch, dataloader_idx)

    def _summarise(self, stage: str) -> None:
        for name in [n for n in self._outputs if n.startswith(f"{stage}/")]:
            keys = [k for batch_keys, _, _ in self._outputs[name] for k in batch_keys]
            truth = np.concatenate([t for _, t, _ in self._outputs[name]])
            predicted = np.concatenate([p for _, _, p in self._outputs[name]])
            metrics = number_metrics(keys, truth, predicted)
            self.results[name.rstrip("/")] = metrics
            self.predictions[name.rstrip("/")] = {
                "keys": keys,
                "truth": truth,
                "predicted": predicted,
            }
            for metric, value in metrics.items():
                if not math.isnan(value):
                    self.log(f"{name}{metric}", value, add_dataloader_idx=False)
            del self._outputs[name]

    def on_validation_epoch_end(self) -> None:
        self._summarise("val")

    def on_test_epoch_end(self) -> None:
        self._summarise("test")

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        warmup = self.hparams.warmup_steps
        if warmup <= 0:
            return optimizer
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min(1.0, (s + 1) / warmup)
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


def _load_model(source: str) -> Numformer:
    """A run id, a ``runs:/`` or ``models:/`` URI, a saved model file or a Lightning checkpoint."""
    from polymath.foundation import load_model

    return load_model(source)


def _tokenizer_of(model: Numformer) -> NumberTokenizer | None:
    text = model.model_args.get("tokenizer")
    return NumberTokenizer.from_str(text) if text else None
