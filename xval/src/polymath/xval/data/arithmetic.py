"""Arithmetic: multi-digit multiplication and multi-operand expressions with +, −, × and brackets.

A record is ``{"expression": "(12+5)*3", "result": 51}``, computed with Python integers. Operand
lengths are drawn from ``digits`` (1 and 2 digits by default); ``ood_band`` holds out a band of
operand magnitudes: training records never use it, out-of-distribution records put their first
operand in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

Kind = Literal["multiplication", "expressions"]
OPERATORS = "+-*"


@dataclass(frozen=True)
class ArithmeticConfig:
    kind: Kind = "multiplication"
    digits: tuple[int, ...] = (1, 2)
    n_operands: tuple[int, int] = (2, 3)
    ood_band: tuple[int, int] | None = None


def _operand(rng: np.random.Generator, config: ArithmeticConfig, band: str) -> int:
    low, high = config.ood_band if config.ood_band else (0, -1)
    if band == "ood":
        return int(rng.integers(low, high + 1))
    while True:
        n = int(rng.choice(config.digits))
        value = int(rng.integers(10 ** (n - 1), 10**n))
        if band == "all" or not low <= value <= high:
            return value


def _expression(rng: np.random.Generator, operands: list[int], top: bool = True) -> str:
    """A random binary tree over ``operands``; every inner sub-expression is bracketed."""
    if len(operands) == 1:
        return str(operands[0])
    split = int(rng.integers(1, len(operands)))
    left = _expression(rng, operands[:split], top=False)
    right = _expression(rng, operands[split:], top=False)
    text = f"{left}{OPERATORS[int(rng.integers(len(OPERATORS)))]}{right}"
    return text if top else f"({text})"


def evaluate(expression: str) -> int:
    """The exact integer value of an expression of digits, + - * and brackets."""
    if not set(expression) <= set("0123456789+-*()"):
        raise ValueError(f"not an arithmetic expression: {expression!r}")
    return int(eval(expression, {"__builtins__": {}}))


def generate_arithmetic(
    count: int, seed: int, config: ArithmeticConfig = ArithmeticConfig(), band: str = "all"
) -> Iterator[dict]:
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = (
            2
            if config.kind == "multiplication"
            else int(rng.integers(config.n_operands[0], config.n_operands[1] + 1))
        )
        operands = [_operand(rng, config, band)]
        operands += [
            _operand(rng, config, "train" if band == "ood" else band) for _ in range(n - 1)
        ]
        if config.kind == "multiplication":
            expression = f"{operands[0]}*{operands[1]}"
        else:
            expression = _expression(rng, operands)
        yield {"expression": expression, "result": evaluate(expression)}
