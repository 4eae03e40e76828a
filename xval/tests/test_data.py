import numpy as np
import pytest

from polymath.xval.data.arithmetic import ArithmeticConfig, evaluate, generate_arithmetic
from polymath.xval.data.formats import read_jsonl, write_jsonl
from polymath.xval.data.planets import PlanetConfig, _draw, generate_planets, integrate, within
from polymath.xval.data.tasks import RecordError, arithmetic_sample, planet_sample
from polymath.xval.numbers import extract_numbers

SMALL = PlanetConfig(n_planets=(2, 3), n_steps=(5, 8), orbits=(2.0, 4.0))


def test_planets_keep_energy():
    rng = np.random.default_rng(1)
    for _ in range(5):
        masses, a, e, angles, _, orbits = _draw(rng, PlanetConfig(), "all")
        result = integrate(masses, a, e, angles, n_steps=40, orbits=orbits)
        assert result.energy_error < 1e-6


def test_the_rejection_applies_to_the_kept_system():
    config = PlanetConfig(n_planets=(2, 2), n_steps=(6, 6), orbits=(2.0, 2.0), max_coordinate=2.0)
    rng = np.random.default_rng(0)
    drawn = [integrate(*_draw(rng, config, "all")).record for _ in range(20)]
    assert any(not within(r, 2.0) for r in drawn)  # the limit does reject some systems
    kept = list(generate_planets(20, 0, config))
    assert all(within(r, 2.0) for r in kept)
    assert len(kept) == 20


def test_planet_records_and_the_held_out_band():
    config = PlanetConfig(n_planets=(2, 3), n_steps=(4, 4), orbits=(2.0, 3.0), ood_band=(2.0, 2.3))
    train = list(generate_planets(30, 0, config, band="train"))
    ood = list(generate_planets(10, 1, config, band="ood"))
    a_max = lambda r: max(p["a"] for k, p in r["description"].items() if k != "stepsize")  # noqa: E731
    assert all(not 2.0 <= a_max(r) <= 2.3 for r in train)
    assert all(2.0 <= a_max(r) <= 2.3 for r in ood)
    sample = planet_sample(train[0])
    planets = len(train[0]["description"]) - 1
    assert len(sample.keys) == 3 * planets + 1 + 2 * planets * 4
    assert len(extract_numbers(sample.text).values) == len(sample.keys)
    assert [sample.keys[i] for i in sample.targets] == ["m", "a", "e"] * planets


def test_arithmetic_answers_are_right():
    for kind in ("multiplication", "expressions"):
        config = ArithmeticConfig(kind=kind, digits=(1, 2, 3), n_operands=(2, 4))
        for record in generate_arithmetic(200, 0, config):
            expression = record["expression"]
            assert record["result"] == _reference(expression)
    assert evaluate("(12+5)*3") == 51
    with pytest.raises(ValueError, match="not an arithmetic expression"):
        evaluate("__import__('os')")


def _reference(expression: str) -> int:
    """A small recursive-descent evaluator, independent of the generator's."""
    tokens = [c for c in expression]
    position = 0

    def number():
        nonlocal position
        if tokens[position] == "(":
            position += 1
            value = sum_()
            position += 1
            return value
        start = position
        while position < len(tokens) and tokens[position].isdigit():
            position += 1
        return int("".join(tokens[start:position]))

    def product():
        nonlocal position
        value = number()
        while position < len(tokens) and tokens[position] == "*":
            position += 1
            value *= number()
        return value

    def sum_():
        nonlocal position
        value = product()
        while position < len(tokens) and tokens[position] in "+-":
            sign = tokens[position]
            position += 1
            value = value + product() if sign == "+" else value - product()
        return value

    return sum_()


def test_arithmetic_out_of_distribution_band():
    config = ArithmeticConfig(digits=(1, 2), ood_band=(40, 60))
    train = list(generate_arithmetic(300, 0, config, band="train"))
    operands = [int(x) for r in train for x in r["expression"].split("*")]
    assert not any(40 <= x <= 60 for x in operands)
    ood = list(generate_arithmetic(50, 1, config, band="ood"))
    assert all(40 <= int(r["expression"].split("*")[0]) <= 60 for r in ood)
    sample = arithmetic_sample({"expression": "(55-97)*66", "result": -2772})
    assert sample.text == "(55-97)*66=-2772"
    assert sample.keys == ("operand", "operand", "operand", "result")


def test_jsonl_round_trip_and_unparseable_records(tmp_path):
    records = list(generate_planets(3, 0, SMALL))
    path = write_jsonl(records, tmp_path / "planets.jsonl")
    assert list(read_jsonl(path)) == records
    bad = tmp_path / "bad.jsonl"
    bad.write_text(path.read_text() + '{"description": \n')
    with pytest.raises(RecordError, match=r"bad.jsonl:4: not JSON"):
        list(read_jsonl(bad))
    with pytest.raises(RecordError, match="not a planet record"):
        planet_sample({"data": []})
