"""Records -> padded tensors: scaled numbers, tokens, masking for training, one row per target.

A masking unit is a whole number (all of its tokens) or one text token: masking part of a
number would let a text encoding copy the rest. Training masks each unit with ``mask_prob`` and
each target number with ``target_mask_prob``; evaluation makes one row per target with exactly
that number masked. Every sequence ends with ``[END]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from polymath.xval.data.tasks import TASKS, RecordError, Sample
from polymath.xval.numbers import extract_numbers
from polymath.xval.scaler import KeyScaler
from polymath.xval.tokenizer import MASK, PAD, Encoded, NumberTokenizer


class Batcher:
    """Turns task records into model inputs for one tokenizer and scaler."""

    def __init__(
        self,
        task: str,
        tokenizer: NumberTokenizer,
        scaler: KeyScaler,
        mask_prob: float = 0.3,
        target_mask_prob: float | None = None,
    ) -> None:
        self.render = TASKS[task][0]
        self.tokenizer, self.scaler = tokenizer, scaler
        self.mask_prob = mask_prob
        self.target_mask_prob = mask_prob if target_mask_prob is None else target_mask_prob

    def encode(self, records: Sequence[dict]) -> list[tuple[Sample, np.ndarray, Encoded]]:
        """Per record: its sample, its scaled numbers and its tokens."""
        samples = [self.render(record) for record in records]
        templates, scaled = [], []
        for sample in samples:
            numbers = extract_numbers(sample.text)
            if len(numbers.values) != len(sample.keys):
                raise RecordError(
                    f"{len(numbers.values)} numbers in the text but {len(sample.keys)} keys"
                )
            templates.append(numbers.template + "[END]")
            scaled.append(self.scaler.transform(sample.keys, numbers.values))
        encoded = self.tokenizer.encode_batch(templates, scaled)
        return list(zip(samples, scaled, encoded, strict=True))

    def training_batch(self, records: Sequence[dict], rng: np.random.Generator) -> dict:
        rows = []
        for sample, _, encoded in self.encode(records):
            masked = np.zeros(len(encoded.ids), dtype=bool)
            text = encoded.number_index < 0
            masked[text] = rng.random(int(text.sum())) < self.mask_prob
            targets = set(sample.targets)
            for number in range(len(sample.keys)):
                p = self.target_mask_prob if number in targets else self.mask_prob
                if rng.random() < p:
                    masked[encoded.number_index == number] = True
            rows.append((encoded, masked, np.zeros_like(masked)))
        return _pad(rows)

    def evaluation_batch(self, records: Sequence[dict]) -> dict:
        """One row per target number, that number masked; keys and scaled truths beside."""
        rows, keys, truths, sample_index = [], [], [], []
        for i, (sample, scaled, encoded) in enumerate(self.encode(records)):
            for number in sample.targets:
                target = encoded.number_index == number
                rows.append((encoded, target, target))
                keys.append(sample.keys[number])
                truths.append(float(scaled[number]))
                sample_index.append(i)
        batch = _pad(rows)
        batch["keys"] = keys
        batch["truth"] = torch.tensor(truths, dtype=torch.float32)
        batch["sample"] = torch.tensor(sample_index, dtype=torch.int64)
        return batch


def _pad(rows: list[tuple[Encoded, np.ndarray, np.ndarray]]) -> dict:
    """ids/values (originals), masked_ids/masked_values (inputs of the masked-LM), ``masked`` (the
    positions it predicts), ``target`` (evaluation: the target number's tokens), ``padding``."""
    length = max(len(encoded.ids) for encoded, _, _ in rows)
    size = (len(rows), length)
    ids = torch.full(size, PAD, dtype=torch.int64)
    values = torch.ones(size, dtype=torch.float32)
    masked = torch.zeros(size, dtype=torch.bool)
    target = torch.zeros(size, dtype=torch.bool)
    for row, (encoded, mask, target_mask) in enumerate(rows):
        n = len(encoded.ids)
        ids[row, :n] = torch.from_numpy(encoded.ids)
        values[row, :n] = torch.from_numpy(encoded.values)
        masked[row, :n] = torch.from_numpy(mask)
        target[row, :n] = torch.from_numpy(target_mask)
    return {
        "ids": ids,
        "values": values,
        "masked_ids": ids.masked_fill(masked, MASK),
        "masked_values": values.masked_fill(masked, 1.0),
        "masked": masked,
        "target": target,
        "padding": ids == PAD,
    }
