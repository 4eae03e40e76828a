"""Numbers in text: extraction into a template plus a parallel float32 array, and the way back.

A number is an optional unary sign, digits with an optional decimal point, and an optional
exponent. A sign counts as part of the number only where it cannot be an operator: at the start
or after one of ``([{,:;=*/+-`` or whitespace (so ``5-3`` is two numbers and a minus, ``=-3`` is
one negative number). Digits glued to letters or underscores (``H2O``, ``planet0``) are text.
Lists such as ``1,2,-3`` are consecutive numbers. Values are float32, not the reference's
float16, which keeps about three digits and overflows above 65504.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

NUM_TOKEN = "[NUM]"

_NUMBER = re.compile(
    r"(?<![\w.])"  # not glued to a word or to another number's decimal point
    r"(?P<sign>[-+])?"
    r"(?P<body>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"(?![\w.])"
)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_UNARY_AFTER = set("([{,:;=*/+-") | {" ", "\t", "\n", "\r"}


class NumberFormatError(ValueError):
    """Text whose numbers cannot be read or written back."""


@dataclass(frozen=True)
class NumberText:
    """Text with every number replaced by ``[NUM]``, the values in order, and their spellings."""

    template: str
    values: np.ndarray
    spellings: tuple[str, ...]

    def restore(self) -> str:
        """The original text, character for character."""
        return fill_template(self.template, self.spellings)

    def render(self, values: np.ndarray | None = None) -> str:
        """The text with ``values`` (default: the extracted ones) written as shortest float32."""
        values = self.values if values is None else np.asarray(values, dtype=np.float32)
        return fill_template(self.template, [format_float32(v) for v in values])


def extract_numbers(text: str) -> NumberText:
    """Splits ``text`` into a ``[NUM]`` template and a float32 array of its numbers."""
    if NUM_TOKEN in text:
        raise NumberFormatError(f"text already holds the token {NUM_TOKEN}: {text[:60]!r}")
    pieces, values, spellings, cursor = [], [], [], 0
    for match in _NUMBER.finditer(text):
        start = match.start()
        if match.group("sign") and start > 0 and text[start - 1] not in _UNARY_AFTER:
            start += 1  # a binary operator, not a sign
        spelling = text[start : match.end()]
        if abs(float(spelling)) > _FLOAT32_MAX:
            raise NumberFormatError(f"{spelling!r} does not fit in float32")
        value = np.float32(float(spelling))
        pieces.append(text[cursor:start])
        pieces.append(NUM_TOKEN)
        values.append(value)
        spellings.append(spelling)
        cursor = match.end()
    pieces.append(text[cursor:])
    return NumberText("".join(pieces), np.array(values, dtype=np.float32), tuple(spellings))


def fill_template(template: str, numbers: list[str] | tuple[str, ...]) -> str:
    """Puts the strings ``numbers`` in place of the template's ``[NUM]`` tokens, in order."""
    parts = template.split(NUM_TOKEN)
    if len(parts) - 1 != len(numbers):
        raise NumberFormatError(
            f"the template has {len(parts) - 1} {NUM_TOKEN} tokens but {len(numbers)} numbers came"
        )
    out = [parts[0]]
    for number, part in zip(numbers, parts[1:], strict=True):
        out += [number, part]
    return "".join(out)


def format_float32(value: float) -> str:
    """The shortest text that reads back as the same float32 (``np.float32(text) == value``)."""
    value = np.float32(value)
    if value != 0 and not 1e-4 <= abs(value) < 1e16:
        return np.format_float_scientific(value, unique=True, trim="-")
    return np.format_float_positional(value, unique=True, trim="-")
