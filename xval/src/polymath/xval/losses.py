"""The Numformer's loss: cross-entropy over predicted tokens + λ · MSE over number positions.

The MSE counts only positions whose *target* token is ``[NUM]`` (masked numbers for the
masked-LM, next tokens for the causal model). Regressing every position towards zero, as the
x-transformers wrapper does, would teach the number head that most values are zero.
"""

from __future__ import annotations

import torch
from torch import nn

from polymath.xval.tokenizer import NUM, PAD


def targets(batch: dict[str, torch.Tensor], causal: bool) -> dict[str, torch.Tensor]:
    """Inputs, the token each position predicts (-100: none) and the value it regresses."""
    if causal:
        ids, values = batch["ids"], batch["values"]
        labels = ids[:, 1:].masked_fill(ids[:, 1:] == PAD, -100)
        return {
            "ids": ids[:, :-1],
            "values": values[:, :-1],
            "padding": batch["padding"][:, :-1],
            "labels": labels,
            "label_values": values[:, 1:],
        }
    labels = batch["ids"].masked_fill(~batch["masked"], -100)
    return {
        "ids": batch["masked_ids"],
        "values": batch["masked_values"],
        "padding": batch["padding"],
        "labels": labels,
        "label_values": batch["values"],
    }


def numformer_loss(
    logits: torch.Tensor,
    numbers: torch.Tensor | None,
    labels: torch.Tensor,
    label_values: torch.Tensor,
    number_weight: float = 1.0,
) -> dict[str, torch.Tensor]:
    """``loss`` = CE + λ·MSE, and its two parts; MSE only where ``labels == [NUM]``.

    ``logits`` (..., vocab) and ``numbers``, ``labels``, ``label_values`` (...) are either whole
    (batch, length) tensors or the positions a model's ``at`` selected.
    """
    token = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100
    )
    number_positions = labels == NUM
    if numbers is None or not number_positions.any():
        number = logits.new_zeros(())
    else:
        number = nn.functional.mse_loss(numbers[number_positions], label_values[number_positions])
    return {"loss": token + number_weight * number, "token": token, "number": number}
