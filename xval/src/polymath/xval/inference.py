"""Reading numbers out of a Numformer: masked-LM inference, causal filling and generation.

"Modified number inference": the token head decides whether a position holds ``[NUM]``; if it
does, the number head gives the value. A text encoding's number is the tokens the token head
chooses, read back as a number (NaN if they do not form one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from polymath.xval.model import Numformer
from polymath.xval.numbers import extract_numbers
from polymath.xval.scaler import KeyScaler
from polymath.xval.tokenizer import END, NUM, NumberTokenizer


def _read_rows(
    tokenizer: NumberTokenizer,
    chosen: torch.Tensor,
    numbers: torch.Tensor | None,
    counts: torch.Tensor,
) -> torch.Tensor:
    """Per row, the value of its target number from the ids chosen at the target's positions
    (and the number head's outputs there), given flat in row order with ``counts`` per row."""
    out = torch.full((len(counts),), math.nan)
    chosen, counts = chosen.cpu(), counts.cpu().tolist()
    numbers = numbers.float().cpu() if numbers is not None else None
    start = 0
    for row, count in enumerate(counts):
        ids = chosen[start : start + count]
        if tokenizer.encoding == "xval":
            if count == 1 and int(ids[0]) == NUM and numbers is not None:
                out[row] = numbers[start]
        else:
            value = tokenizer.read(ids.tolist())
            if value is not None:
                out[row] = value
        start += count
    return out


@torch.no_grad()
def predict_masked(
    model: Numformer, tokenizer: NumberTokenizer, batch: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Masked-LM: the target tokens are ``[MASK]``; one forward pass reads them all."""
    target = batch["target"]
    logits, numbers = model(
        batch["masked_ids"], batch["masked_values"], batch["padding"], at=target
    )
    return _read_rows(tokenizer, logits.argmax(-1), numbers, target.sum(1))


@torch.no_grad()
def predict_causal(
    model: Numformer, tokenizer: NumberTokenizer, batch: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Causal: the target's tokens are generated greedily from the text before them.

    Step j writes the token predicted at the position before the target's j-th token; later
    positions are ignored by the causal mask, so one padded batch serves every row.
    """
    ids, values, target = batch["ids"].clone(), batch["values"].clone(), batch["target"]
    width = int(target.sum(1).max())
    rows = torch.arange(len(ids), device=ids.device)
    starts = target.float().argmax(1)
    numbers = torch.zeros(ids.shape, device=ids.device)
    for step in range(width):
        position = (starts + step).clamp(max=ids.shape[1] - 1)
        active = target[rows, position] & (starts + step < ids.shape[1])
        before = torch.zeros_like(target)
        before[rows, position - 1] = True  # one position per row: outputs come in row order
        logits, value = model(ids, values, batch["padding"], at=before)
        choice = logits.argmax(-1)
        ids[rows[active], position[active]] = choice[active]
        if value is not None:
            values[rows[active], position[active]] = torch.where(
                choice[active] == NUM, value[active], torch.ones_like(value[active])
            )
            numbers[rows[active], position[active]] = value[active]
    return _read_rows(tokenizer, ids[target], numbers[target], target.sum(1))


@torch.no_grad()
def generate(
    model: Numformer,
    tokenizer: NumberTokenizer,
    ids: list[int],
    values: list[float],
    max_new_tokens: int = 64,
) -> tuple[list[int], list[float]]:
    """Continues a causal model's sequence greedily until ``[END]``; ``[NUM]`` takes its value
    from the number head. Returns the new ids and their values (1 for text tokens)."""
    if not model.causal:
        raise ValueError("generation needs a causal model (causal=True)")
    ids, values = list(ids), list(values)
    new_ids: list[int] = []
    new_values: list[float] = []
    for _ in range(max_new_tokens):
        if len(ids) >= model.context:
            break
        last = torch.zeros(1, len(ids), dtype=torch.bool)
        last[0, -1] = True
        logits, numbers = model(torch.tensor([ids]), torch.tensor([values]), at=last)
        token = int(logits[0].argmax())
        value = float(numbers[0]) if numbers is not None and token == NUM else 1.0
        if token == END:
            break
        ids.append(token)
        values.append(value)
        new_ids.append(token)
        new_values.append(value)
    return new_ids, new_values


def complete(
    model: Numformer, prompt: str, keys: Sequence[str], new_key: str, max_new_tokens: int = 64
) -> str:
    """The text a causal model writes after ``prompt``, with its numbers in the data's units.

    The prompt's numbers are scaled by ``keys`` (the tokenizer and scaler saved with the model);
    the numbers the model writes are unscaled as ``new_key`` (e.g. ``"result"`` after ``"12*34="``).
    """
    tokenizer = NumberTokenizer.from_str(model.model_args["tokenizer"])
    scaler = KeyScaler.from_dict(model.model_args["scaler"])
    numbers = extract_numbers(prompt)
    encoded = tokenizer.encode(numbers.template, scaler.transform(keys, numbers.values))
    ids, values = generate(
        model, tokenizer, encoded.ids.tolist(), encoded.values.tolist(), max_new_tokens
    )
    written = extract_numbers(tokenizer.decode(ids, values))
    return prompt + written.render(scaler.inverse([new_key] * len(written.values), written.values))
