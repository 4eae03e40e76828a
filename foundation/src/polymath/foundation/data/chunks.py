"""The chunked layout: many samples per tar member, for less work per sample.

A chunk is one webdataset sample whose members hold `n` samples each: `<key>.<field>.npy` the
field's arrays stacked along a first axis of length n, `<key>.<field>.json` a list of n values
(numbers, strings, metadata), and `<key>.__keys__.json` the n sample keys. It stays a valid
webdataset tar (webdataset reads one sample per chunk). The reader turns a chunk back into n
`Row`s, which shuffle like samples and are gathered into batches one field at a time.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from polymath.foundation.data.collate import batch_array, collate_field
from polymath.foundation.data.encoding import KEY, NpyPayload, value_kind

KEYS = "__keys__"


class Row:
    """Sample `index` of a decoded chunk: {field: stacked array, or object array of values}."""

    __slots__ = ("chunk", "index")

    def __init__(self, chunk: Mapping[str, np.ndarray], index: int):
        self.chunk, self.index = chunk, index

    def sample(self) -> dict[str, Any]:
        """The sample as a dict of tensors and values, its arrays copied out of the chunk."""
        sample = {KEY: self.chunk[KEYS][self.index]}
        for name, values in self.chunk.items():
            if name != KEYS:
                value = values[self.index]  # np.array: a 0-d row is a numpy scalar
                sample[name] = (
                    value if values.dtype == object else torch.from_numpy(np.array(value))
                )
        return sample


def value_column(values: Sequence[Any]) -> np.ndarray:
    """A field of other values than arrays (numbers, strings, metadata) as a 1-d object array,
    so that batches gather it with one indexing, like arrays."""
    return np.fromiter(values, dtype=object, count=len(values))


def _stacked(payload: NpyPayload) -> np.ndarray:
    """A read-only view of a chunk's .npy member (batches copy out of it)."""
    offset, dtype, shape, count, order = payload.layout
    return np.frombuffer(payload.data, dtype=dtype, count=count, offset=offset).reshape(
        shape, order=order
    )


def rows(chunk: Mapping[str, Any]) -> Iterator[Row]:
    """The samples of one decoded chunk."""
    columns = {
        name: _stacked(value) if isinstance(value, NpyPayload) else value_column(value)
        for name, value in chunk.items()
        if name != KEY
    }
    return column_rows(columns, len(columns[KEYS]))


def column_rows(columns: Mapping[str, np.ndarray], count: int) -> Iterator[Row]:
    """The first `count` samples of columns of arrays and object arrays (`value_column`)."""
    return map(Row, itertools.repeat(columns), range(count))


def _selections(batch: Sequence[Row]) -> list[tuple[Mapping[str, np.ndarray], Any, np.ndarray]]:
    """(chunk, positions in the batch, its rows) for each chunk the batch draws from."""
    chunks = [row.chunk for row in batch]
    indices = np.fromiter([row.index for row in batch], np.intp, len(batch))
    distinct = {id(chunk): chunk for chunk in chunks}
    if len(distinct) == 1:
        return [(chunks[0], slice(None), indices)]
    owners = np.fromiter(map(id, chunks), np.uintp, len(batch))
    selections = []
    for key, chunk in distinct.items():
        positions = np.flatnonzero(owners == key)
        selections.append((chunk, positions, indices[positions]))
    return selections


def collate_rows(batch: Sequence[Row]) -> dict[str, Any]:
    """A batch of rows: each field gathered with one indexing per chunk; arrays into one tensor
    (in shared memory in a DataLoader worker), other values collated as collate_field does."""
    selections = _selections(batch)
    out: dict[str, Any] = {}
    for name, first in batch[0].chunk.items():
        shape = (len(batch), *first.shape[1:])
        if first.dtype == object:
            gathered = np.empty(shape, dtype=object)
        else:
            tensor, gathered = batch_array(shape, first.dtype)
        for chunk, positions, indices in selections:
            gathered[positions] = chunk[name][indices]
        if first.dtype != object:
            out[name] = tensor
        elif name == KEYS:
            out[KEY] = gathered.tolist()
        else:
            out[name] = collate_field(gathered.tolist())
    return out


def encode_chunk(samples: Sequence[Mapping[str, Any]], keys: list[str]) -> dict[str, bytes]:
    """Tar members of one chunk (member suffix -> bytes) from samples of identical fields."""
    members = {f"{KEYS}.json": json.dumps(keys).encode()}
    for name in samples[0]:
        if name == KEY:
            continue
        values = [sample[name] for sample in samples]
        kind = value_kind(values[0])
        if kind == "bytes":
            raise TypeError("bytes cannot be chunked; write them with chunk_size=None")
        if kind in ("array", "tensor"):
            arrays = [np.asarray(v.detach().cpu() if kind == "tensor" else v) for v in values]
            if len({(a.shape, a.dtype) for a in arrays}) > 1:
                raise ValueError(f"field {name!r}: chunked arrays need one shape and dtype")
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.stack(arrays), allow_pickle=False)
            members[f"{name}.npy"] = buffer.getvalue()
        else:
            members[f"{name}.json"] = json.dumps(values).encode()
    return members
