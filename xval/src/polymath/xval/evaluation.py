"""Evaluations beyond the test metrics: tokens per number and per sample, and continuity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from polymath.xval.data.datamodule import XvalDataModule
from polymath.xval.inference import predict_causal, predict_masked
from polymath.xval.metrics import excess_variation, roughness
from polymath.xval.module import NumformerModule


def token_counts(datamodule: XvalDataModule, records: list[dict]) -> dict[str, float]:
    """Mean tokens per number and per sample (with ``[END]``) over ``records``."""
    encoded = datamodule.batcher.encode(records)
    number_tokens = sum(int((e.number_index >= 0).sum()) for _, _, e in encoded)
    numbers = sum(len(sample.keys) for sample, _, _ in encoded)
    return {
        "tokens_per_number": number_tokens / numbers,
        "tokens_per_sample": float(np.mean([len(e.ids) for _, _, e in encoded])),
        "numbers_per_sample": numbers / len(records),
    }


@dataclass(frozen=True)
class Sweep:
    inputs: np.ndarray
    truth: np.ndarray
    predicted: np.ndarray

    @property
    def excess_variation(self) -> float:
        """Total variation beyond the truth's over the readable predictions (0 = as smooth)."""
        valid = np.isfinite(self.predicted)
        return excess_variation(self.truth[valid], self.predicted[valid])

    @property
    def roughness(self) -> float:
        """Wiggle around the prediction's own smooth trend (0 = smooth, however wrong)."""
        valid = np.isfinite(self.predicted)
        return roughness(self.inputs[valid], self.predicted[valid])

    @property
    def invalid(self) -> float:
        return float(1 - np.isfinite(self.predicted).mean())


def multiplication_sweep(
    module: NumformerModule, datamodule: XvalDataModule, operand: int, start: int, stop: int
) -> Sweep:
    """The predicted product ``a * operand`` as ``a`` runs over ``start..stop`` (scaled units)."""
    inputs = np.arange(start, stop + 1)
    records = [{"expression": f"{a}*{operand}", "result": int(a) * operand} for a in inputs]
    batch = datamodule.batcher.evaluation_batch(records)
    predict = predict_causal if module.hparams.causal else predict_masked
    module.model.eval()
    batch = {k: v.to(module.device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
    predicted = predict(module.model, module.tokenizer, batch).cpu().numpy()
    return Sweep(inputs, batch["truth"].cpu().numpy(), predicted)
