"""Collation of decoded samples into batches: arrays are stacked once, in the worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from polymath.foundation.data.encoding import NpyPayload


def _stack_payloads(values: list[NpyPayload]) -> Any:
    """One copy for the whole batch when every payload has the same C-order layout."""
    layout = values[0].layout
    offset, dtype, shape, _, order = layout
    if order == "C" and all(value.layout is layout for value in values):
        joined = bytearray().join([memoryview(value.data)[offset:] for value in values])
        return torch.from_numpy(np.frombuffer(joined, dtype=dtype).reshape(len(values), *shape))
    return collate_field([value.array() for value in values])


def collate_field(values: list[Any]) -> Any:
    """One field of a batch."""
    first = values[0]
    if isinstance(first, NpyPayload):
        return _stack_payloads(values)
    if isinstance(first, np.ndarray):
        if all(value.shape == first.shape for value in values):
            return torch.from_numpy(np.stack(values))
        return [torch.from_numpy(value) for value in values]
    if isinstance(first, torch.Tensor):
        same = all(value.shape == first.shape for value in values)
        return torch.stack(values) if same else values
    if isinstance(first, bool):
        return torch.tensor(values, dtype=torch.bool)
    if isinstance(first, int):
        return torch.tensor(values, dtype=torch.int64)
    if isinstance(first, float):
        return torch.tensor(values, dtype=torch.get_default_dtype())
    return list(values)


def collate_samples(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Dict of batched fields: same-shape arrays -> one tensor, ints/floats/bools -> 1-d tensors,
    strings, JSON metadata and ragged arrays -> lists."""
    return {name: collate_field([sample[name] for sample in samples]) for name in samples[0]}
