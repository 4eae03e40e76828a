"""A Hugging Face ``tokenizers`` tokenizer per encoding, with the numbers' values beside the ids.

The vocabulary is fixed by the encoding and the task's structural words (JSON keys, bracket runs
such as ``]],[[``), never learned from a corpus: the special tokens (fixed ids), the encoding's
number tokens, every printable ASCII character, then the words. A ``Split`` pre-tokenizer isolates
words, number pieces and single characters; a ``WordLevel`` model maps them to ids; ``Fuse``
decodes. It saves as a plain ``tokenizer.json`` that ``tokenizers.Tokenizer.from_file`` reads.
"""

from __future__ import annotations

import os
import re
import string
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

from polymath.xval.encodings import (
    NUMBER_PATTERN,
    PIECE_PATTERN,
    check_encoding,
    number_pieces,
    number_vocabulary,
    read_number,
    readable,
)
from polymath.xval.numbers import NUM_TOKEN, format_float32

PAD, MASK, END, NUM, UNK = 0, 1, 2, 3, 4
SPECIAL_TOKENS = ("[PAD]", "[MASK]", "[END]", NUM_TOKEN, "[UNK]")
CHARACTERS = [c for c in string.printable if c not in "\x0b\x0c"]


@dataclass(frozen=True)
class Encoded:
    """One tokenized text: ids, the value each token carries (1 except at xVal's ``[NUM]``), and
    the index of the number each token belongs to (-1 for text)."""

    ids: np.ndarray
    values: np.ndarray
    number_index: np.ndarray


class NumberTokenizer:
    """Tokenizes a ``[NUM]`` template plus its (scaled) values in one of the five encodings."""

    def __init__(self, tokenizer: Tokenizer, encoding: str) -> None:
        self.tokenizer = tokenizer
        self.encoding = check_encoding(encoding)

    @classmethod
    def build(cls, encoding: str, words: Sequence[str] = ()) -> NumberTokenizer:
        check_encoding(encoding)
        numbers = [] if encoding == "xval" else number_vocabulary(encoding)
        vocabulary: dict[str, int] = {}
        for token in [*SPECIAL_TOKENS, *numbers, *CHARACTERS, *words]:
            vocabulary.setdefault(token, len(vocabulary))
        tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="[UNK]"))
        tokenizer.add_special_tokens(list(SPECIAL_TOKENS))
        multi = sorted({w for w in words if len(w) > 1}, key=len, reverse=True)
        alternatives = [re.escape(w) for w in multi]
        if encoding != "xval":
            alternatives.append(PIECE_PATTERN[encoding])
        pattern = "|".join([*alternatives, r"[\s\S]"])
        tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
        tokenizer.decoder = decoders.Fuse()
        return cls(tokenizer, encoding)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    def encode(self, template: str, values: Sequence[float]) -> Encoded:
        """Ids of ``template`` with its ``[NUM]`` tokens written in this encoding."""
        return self.encode_batch([template], [values])[0]

    def encode_batch(
        self, templates: Sequence[str], values: Sequence[Sequence[float]]
    ) -> list[Encoded]:
        texts, spans = [], []
        for template, numbers in zip(templates, values, strict=True):
            text, span = self._write(template, numbers)
            texts.append(text)
            spans.append(span)
        out = []
        for encoding, span, numbers in zip(
            self.tokenizer.encode_batch(texts), spans, values, strict=True
        ):
            ids = np.asarray(encoding.ids, dtype=np.int64)
            starts = np.asarray([start for start, _ in encoding.offsets], dtype=np.int64)
            index = np.searchsorted(span[:, 0], starts, side="right") - 1 if len(span) else None
            number_index = np.full(len(ids), -1, dtype=np.int64)
            if index is not None:
                inside = (index >= 0) & (starts < span[np.clip(index, 0, None), 1])
                number_index[inside] = index[inside]
            token_values = np.ones(len(ids), dtype=np.float32)
            if self.encoding == "xval":
                token_values[ids == NUM] = np.asarray(numbers, dtype=np.float32)
            out.append(Encoded(ids, token_values, number_index))
        return out

    def _write(self, template: str, values: Sequence[float]) -> tuple[str, np.ndarray]:
        """The text the HF tokenizer reads, and the character span of each number in it."""
        parts = template.split(NUM_TOKEN)
        if len(parts) - 1 != len(values):
            raise ValueError(f"{len(parts) - 1} {NUM_TOKEN} tokens but {len(values)} values")
        pieces, spans, cursor = [parts[0]], [], len(parts[0])
        for value, part in zip(values, parts[1:], strict=True):
            number = (
                NUM_TOKEN
                if self.encoding == "xval"
                else "".join(number_pieces(value, self.encoding))
            )
            spans.append((cursor, cursor + len(number)))
            cursor += len(number) + len(part)
            pieces += [number, part]
        return "".join(pieces), np.asarray(spans, dtype=np.int64).reshape(-1, 2)

    def decode(self, ids: Sequence[int], values: Sequence[float] | None = None) -> str:
        """Text of ``ids`` without padding; xVal's ``[NUM]`` tokens are written with ``values``."""
        ids = [int(i) for i in ids if int(i) != PAD]
        text = self.tokenizer.decode(ids, skip_special_tokens=False)
        if self.encoding != "xval":
            return readable(text, self.encoding)
        if values is None:
            return text
        numbers = [format_float32(v) for i, v in zip(ids, values, strict=False) if i == NUM]
        parts = text.split(NUM_TOKEN)
        return "".join(p + n for p, n in zip(parts, [*numbers, ""], strict=False))

    def read_numbers(self, text: str) -> list[float]:
        """The numbers a text encoding wrote in ``text`` (its own decoded output)."""
        return [
            read_number(m.group(0), self.encoding)
            for m in re.finditer(NUMBER_PATTERN[self.encoding], text)
        ]

    def read(self, ids: Sequence[int]) -> float | None:
        """The value of one number given as this encoding's token ids, or None if malformed."""
        return read_number(self.tokenizer.decode([int(i) for i in ids]), self.encoding)

    def to_str(self) -> str:
        return self.tokenizer.to_str()

    @classmethod
    def from_str(cls, json_text: str) -> NumberTokenizer:
        tokenizer = Tokenizer.from_str(json_text)
        return cls(tokenizer, _encoding_of(tokenizer))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes ``tokenizer.json`` atomically (temporary file, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.close(handle)
        try:
            self.tokenizer.save(temporary)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NumberTokenizer:
        tokenizer = Tokenizer.from_file(str(path))
        return cls(tokenizer, _encoding_of(tokenizer))


def _encoding_of(tokenizer: Tokenizer) -> str:
    """The encoding a saved tokenizer was built for, recognised by its number tokens."""
    vocabulary = tokenizer.get_vocab()
    for encoding, probe in (("fp15", "+1.31e+0"), ("b1999", "+1.31"), ("p1000", "1.31")):
        if probe in vocabulary:
            return encoding
    return "p10" if "e+0" in vocabulary else "xval"


def number_token_count(tokenizer: NumberTokenizer) -> int:
    """How many ids of the vocabulary are number tokens (the encoding's number vocabulary)."""
    if tokenizer.encoding == "xval":
        return 1
    vocabulary = tokenizer.tokenizer.get_vocab()
    return sum(token in vocabulary for token in number_vocabulary(tokenizer.encoding))
