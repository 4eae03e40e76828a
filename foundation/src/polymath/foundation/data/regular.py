"""A mapped plain shard read as columns: its samples checked and sliced with numpy, not one by one.

A shard written sample by sample (one tar member per field) usually repeats one layout: the same
members, with the same names after the key and the same sizes in blocks, in the same order. Such
a stretch is a strided array of the mapped file. `regular_stretch` checks every header of the
stretch at once, as `tar_members` would check them one by one, turns each .npy field into one
read-only view of all its samples (their .npy headers must be identical) and decodes the other
fields per sample. The stretch then reads like a chunk of the chunked layout: Rows, gathered per
batch (chunks.py). It ends at the first sample that differs; the reader parses the rest of the
shard member by member.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from polymath.foundation.data import tarstream
from polymath.foundation.data.chunks import KEYS, value_column
from polymath.foundation.data.decoders import Decoder
from polymath.foundation.data.encoding import NpyPayload, npy_layout
from polymath.foundation.data.tarstream import BLOCK

# member suffix ("x.npy") -> (field, its decoder or None for raw bytes), or None when unwanted
MemberReader = Callable[[str], tuple[str, Decoder | None] | None]
OCTAL = 8 ** np.arange(10, -1, -1, dtype=np.int64)


def _first_sample(buffer: Any) -> tuple[list[tuple[bytes, int, int]], int] | None:
    """[(suffix, header offset, size)] of the first sample's members, and the sample's length in
    bytes; None unless every member is a plain regular file with an 11-digit octal size."""
    members: list[tuple[bytes, int, int]] = []
    key, position = None, 0
    while position + BLOCK <= len(buffer):
        header = buffer[position : position + BLOCK]
        name = header[:100].split(b"\0", 1)[0]
        if not name or name.startswith(b"__") or b"." not in name:
            break
        this, _, suffix = name.partition(b".")
        if key is not None and this != key:
            break
        size_field = header[124:136]
        if header[156:157] not in (b"0", b"\0") or header[345] or not _octal(size_field):
            return None
        key, size = this, int(size_field[:11], 8)
        members.append((suffix, position, size))
        position += BLOCK + -(-size // BLOCK) * BLOCK
    return (members, position) if members else None


def _octal(field: bytes) -> bool:
    return len(field) == 12 and field[11] in (0, 32) and all(48 <= c <= 55 for c in field[:11])


def _octal_numbers(fields: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, valid) of 12-byte size fields: 11 octal digits then NUL or space."""
    digits = fields[:, :11]
    valid = ((digits >= 48) & (digits <= 55)).all(axis=1)
    valid &= (fields[:, 11] == 0) | (fields[:, 11] == 32)
    return (digits.astype(np.int64) - 48) @ OCTAL, valid


def _checksums_hold(headers: np.ndarray) -> np.ndarray:
    """Each header's checksum field (six or seven octal digits, then NUL or space) against the
    sum of its bytes with that field counted as spaces."""
    field = headers[:, 148:156].astype(np.int64)
    total = headers.sum(axis=1, dtype=np.int64) - field.sum(axis=1) + 8 * 32
    octal = (field >= 48) & (field <= 55)
    ends = (field == 0) | (field == 32)
    six = octal[:, :6].all(axis=1) & ends[:, 6]
    seven = octal[:, :7].all(axis=1) & ends[:, 7]
    value6 = (field[:, :6] - 48) @ OCTAL[-6:]
    value7 = (field[:, :7] - 48) @ OCTAL[-7:]
    return (six & (value6 == total)) | (seven & (value7 == total))


def _names_hold(names: np.ndarray, first: np.ndarray, dots: np.ndarray, tail: bytes) -> np.ndarray:
    """Whether each name is its sample's key (`first` up to `dots`) followed by `tail`."""
    pattern = np.frombuffer(tail, np.uint8)
    if (dots == dots[0]).all():  # keys of one length: plain slices
        dot = int(dots[0])
        if dot + len(tail) > 100:
            return np.zeros(len(names), bool)
        same_key = (names[:, :dot] == first[:, :dot]).all(axis=1)
        return same_key & (names[:, dot : dot + len(tail)] == pattern).all(axis=1)
    width = names.shape[1]
    same_key = ((names == first) | (np.arange(width) >= dots[:, None])).all(axis=1)
    columns = np.minimum(dots[:, None] + np.arange(len(tail)), width - 1)
    tail_holds = (np.take_along_axis(names, columns, axis=1) == pattern).all(axis=1)
    return same_key & tail_holds & (dots + len(tail) <= 100)


def _length(holds: np.ndarray) -> int:
    return int(holds.argmin()) if not holds.all() else len(holds)


def regular_stretch(
    buffer: Any, reader: MemberReader, check_headers: bool
) -> tuple[dict[str, np.ndarray], int, int] | None:
    """(columns, samples, bytes) of the regular stretch that opens `buffer`, or None when there is
    none of at least two samples. `columns` maps KEYS to the sample keys and each wanted field to a
    strided array (.npy) or an object array of decoded values (chunks.value_column)."""
    first = _first_sample(buffer)
    if first is None:
        return None
    members, stride = first
    count = len(buffer) // stride
    if count < 2:
        return None
    u8 = np.frombuffer(buffer, np.uint8)
    headers = [as_strided(u8[offset:], (count, BLOCK), (stride, 1)) for _, offset, _ in members]
    dots = (headers[0][:, :100] == ord(".")).argmax(axis=1)
    width = min(100, int(dots.max()) + max(len(suffix) for suffix, _, _ in members) + 2)
    # the bytes checked, gathered once: the name's start, the size, the type and the prefix
    checked = np.r_[0:width, 124:136, 156, 345]
    compact = [np.take(header, checked, axis=1) for header in headers]
    names = compact[0][:, :width]
    holds = (names[:, :2] != ord("_")).any(axis=1)
    holds &= ((names != 0) | (np.arange(width) >= dots[:, None])).all(axis=1)
    sizes = []
    for (suffix, _, size), fields, header in zip(members, compact, headers):
        kind = fields[:, width + 12]
        holds &= ((kind == ord("0")) | (kind == 0)) & (fields[:, width + 13] == 0)
        numbers, valid = _octal_numbers(fields[:, width : width + 12])
        holds &= valid & ((numbers + BLOCK - 1) // BLOCK == -(-size // BLOCK))
        holds &= numbers <= tarstream.MAX_MEMBER_BYTES
        holds &= _names_hold(fields[:, :width], names, dots, b"." + suffix + b"\0")
        if check_headers:
            holds &= _checksums_hold(header)
        sizes.append(numbers)
    same_key = (dots[1:] == dots[:-1]) & (
        (names[1:] == names[:-1]) | (np.arange(width) >= dots[1:, None])
    ).all(axis=1)
    holds[1:] &= ~same_key  # a repeated key would merge two samples into one
    fields: list[tuple[str, Decoder | None, int, np.ndarray]] = []
    for (suffix, offset, size), numbers in zip(members, sizes):
        reading = reader(suffix.decode("utf-8"))
        if reading is None:
            continue
        field, decode = reading
        if field == KEYS:
            return None  # a chunked set: its chunks are read as they are
        if decode is NpyPayload:
            try:
                layout = npy_layout(memoryview(buffer)[offset + BLOCK : offset + BLOCK + size])
            except ValueError:
                return None  # the member by member reader names the sample
            npy_headers = as_strided(u8[offset + BLOCK :], (count, layout[0]), (stride, 1))
            holds &= (numbers == size) & (npy_headers == npy_headers[0]).all(axis=1)
        fields.append((field, decode, offset + BLOCK, numbers))
    samples = _length(holds)
    if 0 < samples < count and same_key[samples - 1]:
        samples -= 1  # the member after the stretch belongs to its last sample
    columns: dict[str, Any] = {KEYS: None}
    for field, decode, start, numbers in fields:
        if decode is NpyPayload:
            columns[field] = _strided_field(buffer, start, int(numbers[0]), stride, samples)
        else:
            starts = np.arange(start, start + samples * stride, stride)
            values = _decoded(buffer, decode, starts, starts + numbers[:samples])
            columns[field], samples = value_column(values), len(values)
    if samples < 2:
        return None
    columns[KEYS] = value_column(_keys(names[:samples], dots[:samples]))
    return {name: values[:samples] for name, values in columns.items()}, samples, samples * stride


def _keys(names: np.ndarray, dots: np.ndarray) -> list[str]:
    """Each name up to its first dot, decoded; in one piece when all keys have one length."""
    if (dots == dots[0]).all():
        raw = names[:, : dots[0]].copy().view(f"S{dots[0]}").ravel().tolist()
    else:
        rows = names.copy().view(f"S{names.shape[1]}").ravel().tolist()
        raw = [name[:dot] for name, dot in zip(rows, dots.tolist())]
    return b"\0".join(raw).decode("utf-8").split("\0")  # no key holds a NUL


def _decoded(buffer: Any, decode: Decoder | None, starts: np.ndarray, ends: np.ndarray) -> list:
    """Members decoded, or raw bytes; up to the first that fails to decode: the member by member
    reader takes over there and names it."""
    members = map(buffer.__getitem__, map(slice, starts.tolist(), ends.tolist()))
    try:
        return list(members if decode is None else map(decode, members))
    except Exception:  # any decoder's failure: the sequential reader reports it
        values: list[Any] = []
        with contextlib.suppress(Exception):
            for begin, end in zip(starts.tolist(), ends.tolist()):
                values.append(decode(buffer[begin:end]))
        return values


def _strided_field(buffer: Any, start: int, size: int, stride: int, samples: int) -> np.ndarray:
    """One read-only view of an .npy field over `samples` samples `stride` bytes apart."""
    payload = NpyPayload(memoryview(buffer)[start : start + size])
    offset, dtype, shape, count, order = payload.layout
    one = np.frombuffer(payload.data, dtype, count, offset).reshape(shape, order=order)
    return np.ndarray((samples, *shape), dtype, buffer, start + offset, (stride, *one.strides))
