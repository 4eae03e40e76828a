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
    target: torch.Tensor,
) -> torch.Tensor:
    """Per row, the value of the target number from the chosen ids (and number-head outputs)."""
    out = torch.full((len(chosen),), math.nan)
    for row in range(len(chosen)):
        positions = target[row].nonzero().flatten()
        ids = chosen[row, positions]
        if tokenizer.encoding == "xval":
            if len(ids) == 1 and int(ids[0]) == NUM and numbers is not None:
                out[row] = numbers[row, positions[0]]
        else:
            value = tokenizer.read(ids.tolist())
            if value is not None:
                out[row] = value
    return out


@torch.no_grad()
def predict_masked(
    model: Numformer, tokenizer: NumberTokenizer, batch: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Masked-LM: the target tokens are ``[MASK]``; one forward pass reads them all."""
    logits, numbers = model(batch["masked_ids"], batch["masked_values"], batch["padding"])
    return _read_rows(tokenizer, logits.argmax(-1), numbers, batch["target"])


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
    rows = torch.arange(len(ids))
    starts = target.float().argmax(1)
    numbers = torch.zeros(ids.shape)
    for step in range(width):
        position = (starts + step).clamp(max=ids.shape[1] - 1)
        active = target[rows, position] & (starts + step < ids.shape[1])
        logits, head = model(ids, values, batch["padding"])
        choice = logits[rows, position - 1].argmax(-1)
        ids[rows[active], position[active]] = choice[active]
        if head is not None:
            value = head[rows, position - 1]
            values[rows[active], position[active]] = torch.where(
                choice[active] == NUM, value[active], torch.ones_like(value[active])
            )
            numbers[rows[active], position[active]] = value[active]
    return _read_rows(tokenizer, ids, numbers, target)


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
        logits, numbers = model(torch.tensor([ids]), torch.tensor([values]))
        token = int(logits[0, -1].argmax())
        value = float(numbers[0, -1]) if numbers is not None and token == NUM else 1.0
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
