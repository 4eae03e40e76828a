"""How sample values become tar members and back, and the schema that describes them.

arrays and tensors -> .npy, str -> .txt, int -> .cls, float and bool -> .json,
dict / list / None -> .json, bytes -> as they are, under a field name that ends in their
extension ("image.png"). Decoders live in decoders.py.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

KEY = "__key__"
EXTENSION = {"array": "npy", "tensor": "npy", "str": "txt", "int": "cls", "float": "json"}
EXTENSION |= {"bool": "json", "json": "json"}


def value_kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return "tensor"
    if isinstance(value, (np.ndarray, np.generic)):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if value is None or isinstance(value, (dict, list, tuple)):
        return "json"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes"
    raise TypeError(f"cannot store a {type(value).__name__} in a shard")


def _as_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        try:
            return value.detach().cpu().numpy()
        except TypeError as exn:
            raise TypeError(f"{value.dtype} has no numpy dtype; cast the tensor first") from exn
    array = np.asarray(value)
    if array.dtype.hasobject:
        raise TypeError("object arrays cannot be stored; use a numeric dtype")
    return array


def encode_value(kind: str, value: Any) -> bytes:
    if kind in ("array", "tensor"):
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, _as_numpy(value), allow_pickle=False)
        return buffer.getvalue()
    if kind == "str":
        return value.encode("utf-8")
    if kind == "int":
        return str(value).encode("ascii")
    if kind == "bytes":
        return bytes(value)
    return json.dumps(value).encode("utf-8")


def member_name(name: str, kind: str) -> tuple[str, str]:
    """(field name it reads back as, tar member suffix) of a value stored under `name`."""
    if kind != "bytes":
        return name, f"{name}.{EXTENSION[kind]}"
    field, dot, extension = name.rpartition(".")
    if not (dot and field and extension):
        raise ValueError(
            "bytes are stored under a name ending in their extension, e.g. 'image.png'"
        )
    return field, name


def describe(kind: str, value: Any, member: str) -> dict[str, Any]:
    """The schema entry of one value: kind, plus dtype and shape for arrays, extension for bytes."""
    if kind == "bytes":
        return {"kind": kind, "extension": member.rpartition(".")[2]}
    if kind in ("array", "tensor"):
        array = _as_numpy(value)
        return {"kind": kind, "dtype": str(array.dtype), "shape": list(array.shape)}
    return {"kind": kind}


def merge_spec(old: dict[str, Any], new: dict[str, Any], field: str, key: str) -> dict[str, Any]:
    """Combine schema entries of one field over samples; shapes that vary become null."""

    def what(spec: dict[str, Any]) -> str:
        return spec.get("dtype") or spec.get("extension") or spec["kind"]

    if old["kind"] != new["kind"] or what(old) != what(new):
        raise ValueError(
            f"sample {key!r}: field {field!r} is {what(new)}, earlier samples had {what(old)}"
        )
    if "shape" not in old or old["shape"] == new["shape"]:
        return old
    if old["shape"] is None or len(old["shape"]) != len(new["shape"]):
        return {**old, "shape": None}
    shape = [a if a == b else None for a, b in zip(old["shape"], new["shape"])]
    return {**old, "shape": shape}


def check_name(name: str, key: str) -> None:
    if not isinstance(name, str) or not name or name.startswith("_") or "/" in name:
        raise ValueError(
            f"sample {key!r}: field name {name!r} must be a non-empty str without '/' "
            "and not start with '_'"
        )


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not key or "." in key or "/" in key:
        raise ValueError(f"__key__ {key!r} must be a non-empty str without '.' or '/'")
    return key


_NPY_LAYOUTS: dict[bytes, tuple[int, np.dtype, tuple[int, ...], int, str]] = {}


def npy_layout(data: bytes) -> tuple[int, np.dtype, tuple[int, ...], int, str]:
    """(payload offset, dtype, shape, item count, order) of an .npy file, cached by header:
    np.load parses every header with ast.literal_eval, which costs more than the copy."""
    if data[:6] != b"\x93NUMPY":
        raise ValueError("not an .npy payload")
    size_bytes = 2 if data[6] == 1 else 4
    start = 8 + size_bytes
    header = data[: start + int.from_bytes(data[8:start], "little")]
    layout = _NPY_LAYOUTS.get(header)
    if layout is None:
        if len(_NPY_LAYOUTS) > 1024:
            _NPY_LAYOUTS.clear()
        stream = io.BytesIO(header)
        version = np.lib.format.read_magic(stream)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(stream)
        if dtype.hasobject:
            raise ValueError("object arrays are not decoded")
        count = math.prod(shape)
        layout = (len(header), dtype, shape, count, "F" if fortran else "C")
        _NPY_LAYOUTS[header] = layout
    if len(data) != layout[0] + layout[3] * layout[1].itemsize:
        raise ValueError(f".npy payload of {len(data)} bytes does not match its header")
    return layout


class NpyPayload:
    """An .npy member checked but not yet decoded: batches decode all their payloads at once."""

    __slots__ = ("data", "layout")

    def __init__(self, data: bytes):
        self.data, self.layout = data, npy_layout(data)

    def array(self) -> np.ndarray:
        """A writable array of this payload."""
        offset, dtype, shape, count, order = self.layout
        flat = np.frombuffer(self.data, dtype=dtype, count=count, offset=offset)
        return flat.reshape(shape, order=order).copy(order="K")


def split_member_name(name: str) -> tuple[str, str, str]:
    """'key.field.ext' -> (key, field, ext); a bare 'key.ext' gives field == ext (webdataset style)."""
    key, _, suffix = name.partition(".")
    field, dot, extension = suffix.rpartition(".")
    return (key, field, extension) if dot else (key, suffix, suffix)


def to_torch(sample: Mapping[str, Any]) -> dict[str, Any]:
    """NpyPayloads -> tensors."""
    return {
        k: torch.from_numpy(v.array()) if isinstance(v, NpyPayload) else v
        for k, v in sample.items()
    }
