import numpy as np
import pytest

from polymath.xval.encodings import (
    ENCODINGS,
    NumberRangeError,
    UnknownEncodingError,
    number_pieces,
    number_vocabulary,
    read_number,
    rounded,
)
from polymath.xval.numbers import extract_numbers
from polymath.xval.scaler import KeyScaler, ScalerRangeError
from polymath.xval.tokenizer import NUM, NumberTokenizer, number_token_count

VOCABULARY = {"xval": 1, "p10": 28, "p1000": 918, "b1999": 1816, "fp15": 27001}
TOKENS_PER_NUMBER = {"xval": 1, "p10": 5, "p1000": 3, "b1999": 2, "fp15": 1}
TEXT = "{'m':1.31,'a':-0.00217,'e':[0,12.5,-3]} (12+5)*3=-51"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_number_vocabulary_sizes(encoding):
    assert len(number_vocabulary(encoding)) == VOCABULARY[encoding]
    assert len(set(number_vocabulary(encoding))) == VOCABULARY[encoding]
    assert number_token_count(NumberTokenizer.build(encoding)) == VOCABULARY[encoding]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_tokens_per_number(encoding):
    tokenizer = NumberTokenizer.build(encoding)
    values = np.array([1.31, -0.00217, 4.56e6, -7.0, 123.0], dtype=np.float32)
    encoded = tokenizer.encode("[NUM]" * len(values), values)
    assert len(encoded.ids) == TOKENS_PER_NUMBER[encoding] * len(values)
    assert np.bincount(encoded.number_index).tolist() == [TOKENS_PER_NUMBER[encoding]] * 5


def test_pieces_of_one_number_and_their_reading():
    assert number_pieces(1.31, "p10") == ["+", "1", "3", "1", "e+0"]
    assert number_pieces(1.31, "p1000") == ["+", "1.31", "e+0"]
    assert number_pieces(-0.0131, "b1999") == ["-1.31", "e-2"]
    assert number_pieces(9.996, "fp15") == ["+1.00e+1"]
    assert number_pieces(0.0, "p10") == ["+0.00e+0"]
    assert number_pieces(1e-9, "fp15") == ["+0.00e+0"]
    for encoding in ENCODINGS[1:]:
        for value in (1.31, -0.0131, 9.996, 0.0, 4.56e6):
            assert read_number("".join(number_pieces(value, encoding)), encoding) == rounded(value)
    assert read_number("+1e+0", "p10") is None
    with pytest.raises(NumberRangeError, match="exponent above"):
        number_pieces(2e8, "p10")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_tokenizer_round_trips_text_and_saves_as_tokenizer_json(encoding, tmp_path):
    tokenizer = NumberTokenizer.build(encoding, ["'m':", "'a':"])
    numbers = extract_numbers(TEXT)
    encoded = tokenizer.encode(numbers.template, numbers.values)
    assert (encoded.ids != 4).all()  # no [UNK]
    path = tokenizer.save(tmp_path / "tokenizer.json")
    loaded = NumberTokenizer.load(path)
    assert loaded.encoding == encoding
    again = loaded.encode(numbers.template, numbers.values)
    np.testing.assert_array_equal(again.ids, encoded.ids)
    decoded = loaded.decode(encoded.ids, encoded.values)
    expected = [rounded(v) for v in numbers.values] if encoding != "xval" else numbers.values
    np.testing.assert_allclose(extract_numbers(decoded).values, expected, rtol=1e-6)
    assert extract_numbers(decoded).template == numbers.template


def test_hf_decoding_drops_num_unless_told_otherwise():
    tokenizer = NumberTokenizer.build("xval")
    encoded = tokenizer.encode("x=[NUM]", [2.5])
    assert NUM in encoded.ids and encoded.values[encoded.ids == NUM][0] == 2.5
    assert tokenizer.tokenizer.decode(encoded.ids.tolist()) == "x="
    assert tokenizer.tokenizer.decode(encoded.ids.tolist(), skip_special_tokens=False) == "x=[NUM]"
    assert tokenizer.decode(encoded.ids, encoded.values) == "x=2.5"


def test_unknown_encoding_is_named():
    with pytest.raises(UnknownEncodingError, match="unknown encoding 'p100'.*xval, p10"):
        NumberTokenizer.build("p100")


def test_scaler_inverse_and_range(tmp_path):
    scaler = KeyScaler.fit({"m": [1e-5, 5e-5], "a": [-3.0, 1.0, 2.0]})
    keys = ["m", "a", "a", "m"]
    values = np.array([2e-5, -3.0, 1.5, 5e-5])
    scaled = scaler.transform(keys, values)
    assert np.abs(scaled).max() == pytest.approx(2.0)
    np.testing.assert_allclose(scaler.inverse(keys, scaled), values, rtol=1e-6)
    loaded = KeyScaler.load(scaler.save(tmp_path / "scaler.json"))
    assert loaded == scaler
    np.testing.assert_array_equal(
        loaded.transform(["m"], [1.2e-4]), scaler.transform(["m"], [1.2e-4])
    )
    with pytest.raises(
        ScalerRangeError, match=r"value 0.0002 of key 'm' is outside .*\[-0.000125, 0.000125\]"
    ):
        scaler.transform(["m"], [2e-4])
    with pytest.raises(ScalerRangeError, match="no key 'e'"):
        scaler.transform(["e"], [0.1])
