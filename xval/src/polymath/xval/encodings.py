"""The five number encodings: how one (already scaled) number becomes tokens and back.

Every text encoding first writes the number in signed scientific notation with three significant
digits, exponents e-7 … e+7 (smaller magnitudes become zero, larger ones are refused):

============  =========================  ==============  ==========================================
encoding      tokens of 1.31             tokens/number   number vocabulary
============  =========================  ==============  ==========================================
``p10``       ``+ 1 3 1 e+0``            5               2 signs, 10 digits, 15 exponents, 1 zero
``p1000``     ``+ 1.31 e+0``             3               2 signs, 901 mantissas, 15 exponents
``b1999``     ``+1.31 e+0``              2               1801 signed mantissas, 15 exponents
``fp15``      ``+1.31e+0``               1               1800 × 15 signed floats, 1 zero
``xval``      ``[NUM]`` (value 1.31)     1               1
============  =========================  ==============  ==========================================

Zero is the single token ``+0.00e+0`` in ``p10`` and ``fp15``, ``0.00`` in ``p1000`` and
``+0.00`` in ``b1999``, as in the reference's vocabularies.
"""

from __future__ import annotations

import math
import re
from typing import Literal

ENCODINGS = ("xval", "p10", "p1000", "b1999", "fp15")
Encoding = Literal["xval", "p10", "p1000", "b1999", "fp15"]
MIN_EXPONENT, MAX_EXPONENT = -7, 7
ZERO = "+0.00e+0"


class UnknownEncodingError(ValueError):
    """An encoding name that is not one of ``ENCODINGS``."""


class NumberRangeError(ValueError):
    """A number too large for three-digit scientific notation with exponents up to +7."""


def check_encoding(encoding: str) -> str:
    if encoding not in ENCODINGS:
        raise UnknownEncodingError(
            f"unknown encoding {encoding!r} (choose one of: {', '.join(ENCODINGS)})"
        )
    return encoding


def scientific(value: float) -> tuple[str, str, int]:
    """``(sign, mantissa, exponent)`` with a three-digit mantissa, e.g. 13.1 -> ('+', '1.31', 1)."""
    if not math.isfinite(value):
        raise NumberRangeError(f"cannot write {value} in scientific notation")
    mantissa, exponent = f"{abs(value):.2e}".split("e")
    exponent_value = int(exponent)
    sign = "-" if value < 0 else "+"
    if float(mantissa) == 0 or exponent_value < MIN_EXPONENT:
        return "+", "0.00", 0
    if exponent_value > MAX_EXPONENT:
        raise NumberRangeError(f"{value:g} needs an exponent above e+{MAX_EXPONENT}")
    return sign, mantissa, exponent_value


def _exponent(exponent: int) -> str:
    return f"e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def number_pieces(value: float, encoding: str) -> list[str]:
    """The tokens of one number in a text encoding."""
    sign, mantissa, exponent = scientific(value)
    zero = mantissa == "0.00"
    if encoding == "p10":
        return [ZERO] if zero else [sign, *mantissa.replace(".", ""), _exponent(exponent)]
    if encoding == "p1000":
        return [sign, mantissa, _exponent(exponent)]
    if encoding == "b1999":
        return [sign + mantissa, _exponent(exponent)]
    if encoding == "fp15":
        return [ZERO if zero else sign + mantissa + _exponent(exponent)]
    raise UnknownEncodingError(f"{encoding!r} writes no number tokens")


def rounded(value: float) -> float:
    """The value a text encoding can represent: three significant digits, tiny values at zero."""
    sign, mantissa, exponent = scientific(value)
    return float(f"{sign}{mantissa}e{exponent}")


def _mantissas() -> list[str]:
    return [f"{n / 100:.2f}" for n in range(100, 1000)]


def _exponents() -> list[str]:
    return [_exponent(e) for e in range(MIN_EXPONENT, MAX_EXPONENT + 1)]


def number_vocabulary(encoding: str) -> list[str]:
    """Every token a number can become in this encoding (its size is the table above)."""
    check_encoding(encoding)
    if encoding == "xval":
        return ["[NUM]"]
    signed = [s + m for m in _mantissas() for s in "+-"]
    if encoding == "p10":
        return [ZERO, "+", "-", *map(str, range(10)), *_exponents()]
    if encoding == "p1000":
        return ["+", "-", "0.00", *_mantissas(), *_exponents()]
    if encoding == "b1999":
        return ["+0.00", *signed, *_exponents()]
    return [ZERO, *(m + e for m in signed for e in _exponents())]


# One full number in the text a text encoding writes, and the pieces the pre-tokenizer isolates.
_E = r"e[+-]\d"
NUMBER_PATTERN = {
    "p10": rf"\+0\.00e\+0|[+-]\d\d\d{_E}",
    "p1000": rf"[+-]\d\.\d\d{_E}",
    "b1999": rf"[+-]\d\.\d\d{_E}",
    "fp15": rf"[+-]\d\.\d\d{_E}",
}
PIECE_PATTERN = {
    "p10": rf"\+0\.00e\+0|{_E}|[+-]|\d",
    "p1000": rf"\d\.\d\d|{_E}|[+-]",
    "b1999": rf"[+-]\d\.\d\d|{_E}",
    "fp15": rf"[+-]\d\.\d\d{_E}",
}


def read_number(text: str, encoding: str) -> float | None:
    """The value of one number written by ``encoding`` (its pieces joined), or None if malformed."""
    if encoding == "xval" or not re.fullmatch(NUMBER_PATTERN[encoding], text):
        return None
    if encoding == "p10" and text != ZERO:
        text = f"{text[0]}{text[1]}.{text[2:4]}{text[4:]}"
    return float(text)


def readable(text: str, encoding: str) -> str:
    """Text a text encoding wrote, with its numbers in plain scientific notation (p10 has no dot)."""
    if encoding != "p10":
        return text
    return re.sub(
        NUMBER_PATTERN["p10"],
        lambda m: "".join(number_pieces(read_number(m.group(0), "p10"), "fp15")),
        text,
    )
