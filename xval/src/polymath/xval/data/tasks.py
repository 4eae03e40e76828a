"""Records as text: the text a model reads, the key of each number in it, and the targets.

The key of a number chooses its scaling factor (m, a, e, stepsize, data for planets; operand and
result for arithmetic); targets are the numbers a model is asked for (m, a and e of every planet;
the result of an expression).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from polymath.xval.data.planets import PLANET_WORDS
from polymath.xval.numbers import extract_numbers, format_float32

PLANET_KEYS = ("m", "a", "e")


class RecordError(ValueError):
    """A record that does not have the task's layout."""


@dataclass(frozen=True)
class Sample:
    text: str
    keys: tuple[str, ...]
    targets: tuple[int, ...]


def planet_sample(record: Mapping) -> Sample:
    try:
        description, data = record["description"], record["data"]
        planets = [description[name] for name in description if name != "stepsize"]
        stepsize = description["stepsize"]
        parts, keys = [], []
        for i, planet in enumerate(planets):
            values = ",".join(f"'{k}':{format_float32(planet[k])}" for k in PLANET_KEYS)
            parts.append(f"'planet{i}':{{{values}}}")
            keys += PLANET_KEYS
        head = ",".join([*parts, f"'stepsize':{format_float32(stepsize)}"])
        keys.append("stepsize")
        steps = []
        for step in data:
            if len(step) != len(planets):
                raise RecordError(f"a step has {len(step)} positions for {len(planets)} planets")
            steps.append(
                "[" + ",".join(f"[{format_float32(x)},{format_float32(y)}]" for x, y in step) + "]"
            )
            keys += ["data"] * 2 * len(step)
    except RecordError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise RecordError(f"not a planet record ({type(error).__name__}: {error})") from None
    text = f"{{'description':{{{head}}},'data':[{','.join(steps)}]}}"
    targets = tuple(i for i, key in enumerate(keys) if key in PLANET_KEYS)
    return Sample(text, tuple(keys), targets)


def arithmetic_sample(record: Mapping) -> Sample:
    try:
        text = f"{record['expression']}={int(record['result'])}"
    except (KeyError, TypeError, ValueError) as error:
        raise RecordError(f"not an arithmetic record ({type(error).__name__}: {error})") from None
    count = len(extract_numbers(text).values)
    return Sample(text, ("operand",) * (count - 1) + ("result",), (count - 1,))


TASKS = {"planets": (planet_sample, PLANET_WORDS), "arithmetic": (arithmetic_sample, ())}
