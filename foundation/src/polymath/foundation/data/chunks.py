"""The chunked layout: many samples per tar member, for less work per sample.

A chunk is one webdataset sample whose members hold `n` samples each: `<key>.<field>.npy` the
field's arrays stacked along a first axis of length n, `<key>.<field>.json` a list of n values
(numbers, strings, metadata), and `<key>.__keys__.json` the n sample keys. It stays a valid
webdataset tar (webdataset reads one sample per chunk). The reader turns a chunk back into n
`Row`s, which shuffle like samples and are gathered into batches one field at a time.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from polymath.foundation.data.collate import collate_field
from polymath.foundation.data.encoding import KEY, NpyPayload, value_kind

KEYS = "__keys__"


class Row:
    """Sample `index` of a decoded chunk: {field: stacked array or list of values}."""

    __slots__ = ("chunk", "index")

    def __init__(self, chunk: Mapping[str, Any], index: int):
        self.chunk, self.index = chunk, index

    def sample(self) -> dict[str, Any]:
        """The sample as a dict of tensors and values, its arrays copied out of the chunk."""
        sample = {KEY: self.chunk[KEYS][self.index]}
        for name, values in self.chunk.items():
            if name != KEYS:
                value = values[self.index]
                is_array = isinstance(values, np.ndarray)
                sample[name] = torch.from_numpy(value.copy()) if is_array else value
        return sample


def _stacked(payload: NpyPayload) -> np.ndarray:
    """A read-only view of a chunk's .npy member (batches copy out of it)."""
    offset, dtype, shape, count, order = payload.layout
    return np.frombuffer(payload.data, dtype=dtype, count=count, offset=offset).reshape(
        shape, order=order
    )


def rows(chunk: Mapping[str, Any]) -> Iterator[Row]:
    """The samples of one decoded chunk."""
    views = {
        name: _stacked(value) if isinstance(value, NpyPayload) else value
        for name, value in chunk.items()
        if name != KEY
    }
    return (Row(views, index) for index in range(len(views[KEYS])))


def collate_rows(batch: Sequence[Row]) -> dict[str, Any]:
    """A batch of rows: each array field gathered with one indexing per chunk, into one tensor."""
    groups: dict[int, tuple[Mapping[str, Any], list[int], list[int]]] = {}
    for position, row in enumerate(batch):
        group = groups.get(id(row.chunk))
        if group is None:
            group = groups[id(row.chunk)] = (row.chunk, [], [])
        group[1].append(position)
        group[2].append(row.index)
    out: dict[str, Any] = {}
    for name, first in batch[0].chunk.items():
        if isinstance(first, np.ndarray):
            gathered = np.empty((len(batch), *first.shape[1:]), dtype=first.dtype)
            for chunk, positions, indices in groups.values():
                gathered[positions] = chunk[name][indices]
            out[name] = torch.from_numpy(gathered)
            continue
        values: list[Any] = [None] * len(batch)
        for chunk, positions, indices in groups.values():
            column = chunk[name]
            for position, index in zip(positions, indices):
                values[position] = column[index]
        out[KEY if name == KEYS else name] = values if name == KEYS else collate_field(values)
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
