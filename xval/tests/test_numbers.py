import numpy as np
import pytest

from polymath.xval.numbers import NumberFormatError, extract_numbers, fill_template

HARD = [
    ("x=-3.5e-2 and +7", [-0.035, 7.0]),
    ("1e-30,2.5E+12,-0.0001", [1e-30, 2.5e12, -1e-4]),
    ("007 and 0.050", [7.0, 0.05]),
    ("H2O, planet0 and x1 stay text but 3 is a number", [3.0]),
    ("5-3=2", [5.0, 3.0, 2.0]),
    ("(12+5)*3=-51", [12.0, 5.0, 3.0, -51.0]),
    ("[[1.5,-2],[3,4e1]]", [1.5, -2.0, 3.0, 40.0]),
    ("70000.125 and 123456.789 and 65519.5", [70000.125, 123456.789, 65519.5]),
    (".5 and 1. and 1.25e+05", [0.5, 1.0, 125000.0]),
]


@pytest.mark.parametrize(("text", "expected"), HARD)
def test_extraction_finds_the_numbers_and_restores_the_text_exactly(text, expected):
    numbers = extract_numbers(text)
    assert numbers.restore() == text
    assert numbers.values.dtype == np.float32
    np.testing.assert_allclose(numbers.values, expected, rtol=1e-6)
    assert numbers.template.count("[NUM]") == len(expected)


@pytest.mark.parametrize(("text", "expected"), HARD)
def test_rendered_values_read_back_to_1e6_relative(text, expected):
    numbers = extract_numbers(text)
    again = extract_numbers(numbers.render())
    assert again.template == numbers.template
    np.testing.assert_allclose(again.values, expected, rtol=1e-6)


def test_values_float16_would_break_survive():
    values = [70000.125, 123456.789, 1.0001, 3.14159265]
    text = ",".join(str(v) for v in values)
    numbers = extract_numbers(text)
    np.testing.assert_allclose(numbers.values, values, rtol=1e-6)
    with np.errstate(over="ignore"):
        half = numbers.values.astype(np.float16)  # what the reference stores
    assert not np.isfinite(half[:2]).all()
    assert abs(float(half[2]) - 1.0001) / 1.0001 > 1e-5


def test_a_long_list_of_consecutive_numbers():
    rng = np.random.default_rng(0)
    values = (rng.normal(size=2000) * 10.0 ** rng.integers(-6, 6, size=2000)).astype(np.float32)
    text = "[" + ",".join(str(v) for v in values) + "]"
    numbers = extract_numbers(text)
    assert numbers.template == "[" + ",".join(["[NUM]"] * 2000) + "]"
    np.testing.assert_array_equal(numbers.values, values)
    np.testing.assert_array_equal(extract_numbers(numbers.render()).values, values)


def test_overflow_and_template_mismatch_are_clear_errors():
    with pytest.raises(NumberFormatError, match="float32"):
        extract_numbers("1e300")
    with pytest.raises(NumberFormatError, match="2 \\[NUM\\] tokens but 1"):
        fill_template("[NUM]+[NUM]", ["1"])
