"""Collation of decoded samples into batches: arrays are stacked once, in the worker."""

from __future__ import annotations

import math
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


def batch_array(shape: tuple[int, ...], dtype: np.dtype) -> tuple[torch.Tensor, np.ndarray]:
    """An empty batch tensor and a numpy view to fill it through. In a DataLoader worker it is
    made in shared memory, as torch's default_collate does, so that handing it to the main
    process copies nothing."""
    if torch.utils.data.get_worker_info() is None:
        array = np.empty(shape, dtype)
        return torch.from_numpy(array), array
    kind = torch.from_numpy(np.empty(0, dtype)).dtype
    storage = torch.UntypedStorage._new_shared(math.prod(shape) * np.dtype(dtype).itemsize)
    tensor = torch.empty(0, dtype=kind).set_(storage, 0, shape)
    return tensor, tensor.numpy()


def _numbers(values: list[Any], kind: type, numpy: Any, dtype: torch.dtype) -> torch.Tensor:
    """A 1-d tensor of numbers; through numpy when they are all of one kind, several times faster
    than torch.tensor(list), which keeps refusing what numpy would convert (None, strings)."""
    if set(map(type, values)) == {kind}:
        return torch.as_tensor(np.array(values, dtype=numpy), dtype=dtype)
    return torch.tensor(values, dtype=dtype)


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
        return _numbers(values, int, np.int64, torch.int64)
    if isinstance(first, float):
        return _numbers(values, float, np.float64, torch.get_default_dtype())
    return list(values)


def collate_samples(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Dict of batched fields: same-shape arrays -> one tensor, ints/floats/bools -> 1-d tensors,
    strings, JSON metadata and ragged arrays -> lists."""
    return {name: collate_field([sample[name] for sample in samples]) for name in samples[0]}
