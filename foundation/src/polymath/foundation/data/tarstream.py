"""A lean reader of tar streams: (name, bytes) per regular file, several times faster per member
than `tarfile` in stream mode, and strict: a bad header checksum or a stream that ends before the
end-of-archive blocks is an error. Understands ustar, GNU long names and pax `path` records.
A memory-mapped file is read in place: its members come back as views, without a copy.

Limits: uncompressed tars only (a compressed stream is named as such: read it through
`pipe:gzip -dc ...`), and members of at most MAX_MEMBER_BYTES each, since a member is held in
memory whole; a larger one is an error, never a misparse."""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from typing import Any

import numpy as np

BLOCK = 512
END_BLOCK = bytes(BLOCK)
REGULAR_FILES = (b"0", b"\0", b"7")
CHUNK = 1 << 20
MAX_MEMBER_BYTES = 1 << 30
COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"\x04\x22\x4d\x18": "lz4",
}


class ShardFormatError(ValueError):
    """A tar stream outside what this reader reads: compressed, or a member over the size limit."""


def _check_uncompressed(first_block: bytes) -> None:
    for magic, name in COMPRESSED.items():
        if first_block.startswith(magic):
            raise ShardFormatError(
                f"{name}-compressed: only uncompressed .tar shards are read "
                f"(decompress it, or read it through a pipe: source)"
            )


class _Chunks:
    """Hands out exact byte counts from a stream read in large chunks (few read calls)."""

    def __init__(self, stream: Any):
        self.stream, self.buffer, self.position = stream, b"", 0

    def take(self, size: int) -> bytes:
        end = self.position + size
        if end <= len(self.buffer):
            data = self.buffer[self.position : end]
            self.position = end
            return data
        rest = self.buffer[self.position :]
        if size - len(rest) >= CHUNK:  # a large member: read it whole, one copy
            self.buffer, self.position = b"", 0
            return rest + self._read(size - len(rest))
        self.buffer = rest + self._read(CHUNK)
        self.position = min(size, len(self.buffer))
        return self.buffer[: self.position]

    def _read(self, size: int) -> bytes:
        parts, have = [], 0
        while have < size:
            more = self.stream.read(size - have)
            if not more:
                break
            parts.append(more)
            have += len(more)
        return b"".join(parts) if len(parts) != 1 else parts[0]

    def member(self, size: int) -> bytes:
        """`size` bytes of member data, skipping the padding to the next block."""
        padding = -size % BLOCK
        start = self.position
        if start + size + padding <= len(self.buffer):
            self.position = start + size + padding
            return self.buffer[start : start + size]
        data = self.take(size)
        skipped = self.take(padding)
        if len(data) < size or len(skipped) < padding:
            raise EOFError(f"tar stream ends inside a member ({len(data)} of {size} bytes)")
        return data


class _Mapped:
    """The whole tar in memory (a mapped file): headers as bytes, members as views into it."""

    def __init__(self, buffer: mmap.mmap | bytes, start: int):
        self.buffer, self.view, self.position = buffer, memoryview(buffer), start

    def take(self, size: int) -> bytes:
        start = self.position
        self.position = min(start + size, len(self.buffer))
        return self.buffer[start : start + size]

    def member(self, size: int) -> memoryview:
        start, end = self.position, self.position + size
        self.position = end + -size % BLOCK
        if self.position > len(self.buffer):
            have = max(min(size, len(self.buffer) - start), 0)
            raise EOFError(f"tar stream ends inside a member ({have} of {size} bytes)")
        return self.view[start:end]


def _number(field: bytes) -> int:
    if field[0] & 0x80:
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip()
    return int(text, 8) if text else 0


def _pax_path(records: bytes) -> bytes | None:
    path = None
    while records:
        length, _, rest = records.partition(b" ")
        record, records = rest[: int(length) - len(length) - 1], records[int(length) :]
        key, _, value = record.partition(b"=")
        if key == b"path":
            path = value.rstrip(b"\n")
    return path


def _check_header(header: bytes) -> None:
    stored = _number(header[148:156])
    total = int(np.frombuffer(header, np.uint8).sum(dtype=np.int64))
    if total - sum(header[148:156]) + 8 * 32 != stored:
        raise ValueError("bad tar header checksum")


def tar_members(
    stream: Any, check_headers: bool = True, start: int = 0
) -> Iterator[tuple[str, bytes | memoryview]]:
    """Yield (name, data) for each regular file of `stream`: a binary stream, or a whole tar in
    memory (an mmap or bytes), read from offset `start`, whose members are memoryviews into it.

    `check_headers=False` skips the header checksums, for shards whose sha256 was just verified.
    """
    mapped = isinstance(stream, (mmap.mmap, bytes))
    chunks = _Mapped(stream, start) if mapped else _Chunks(stream)
    long_name: bytes | None = None
    header = chunks.take(BLOCK)
    _check_uncompressed(header)
    while True:
        if not header:
            raise EOFError("tar stream ends without its end-of-archive blocks (truncated?)")
        if len(header) < BLOCK:
            raise EOFError(f"tar stream ends inside a header ({len(header)} of {BLOCK} bytes)")
        if header == END_BLOCK:
            return
        if check_headers:
            _check_header(header)
        size = _number(header[124:136])
        kind = header[156:157]
        name = long_name or header[:100].split(b"\0", 1)[0]
        if size > MAX_MEMBER_BYTES:
            raise ShardFormatError(
                f"member {name.decode('utf-8', 'replace')!r} holds {size} bytes, over the "
                f"reader's limit of {MAX_MEMBER_BYTES} per member"
            )
        data = chunks.member(size)
        if kind in REGULAR_FILES:
            if long_name is None and header[257:262] == b"ustar" and header[345] != 0:
                name = header[345:500].split(b"\0", 1)[0] + b"/" + name
            long_name = None
            yield name.decode("utf-8"), data
        elif kind == b"L":
            long_name = bytes(data).rstrip(b"\0")
        elif kind == b"x":
            long_name = _pax_path(bytes(data)) or long_name
        elif kind != b"g":
            long_name = None
        header = chunks.take(BLOCK)
