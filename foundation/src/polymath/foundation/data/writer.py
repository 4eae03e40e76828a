"""write_shards: samples -> .tar shards plus manifest.json; a set is replaced as a whole."""

from __future__ import annotations

import contextlib
import os
import shutil
import tarfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import webdataset as wds

from polymath.foundation.data.chunks import encode_chunk
from polymath.foundation.data.encoding import (
    KEY,
    check_key,
    check_name,
    describe,
    encode_value,
    member_name,
    merge_spec,
    value_kind,
)
from polymath.foundation.data.manifest import MANIFEST_NAME, Manifest, ShardInfo, sha256_file
from polymath.foundation.data.shardset import clean_leftovers, new_set_folder, switch_to, write_lock
from polymath.foundation.data.tarstream import MAX_MEMBER_BYTES

DEFAULT_MAX_BYTES = 256 * 1024**2
TAR_END = 2 * tarfile.BLOCKSIZE


def _padded(size: int, unit: int) -> int:
    return -(-size // unit) * unit


def _tar_bytes(members: Mapping[str, bytes]) -> int:
    """Bytes the members take in a tar stream: one header block each plus padded data."""
    return sum(
        tarfile.BLOCKSIZE + _padded(len(data), tarfile.BLOCKSIZE) for data in members.values()
    )


class _OpenShard:
    """One shard being written in the set's partial folder; sha256 and size are known once closed."""

    def __init__(self, path: Path, mtime: int):
        self.path = path
        self.handle = open(path, "wb")  # noqa: SIM115 (closed in close)
        self.tar = wds.TarWriter(self.handle, encoder=False, mtime=mtime, keep_meta=True)
        self.tar.tarstream.format = tarfile.USTAR_FORMAT  # webdataset leaves tarfile's PAX default
        self.count = 0

    @property
    def offset(self) -> int:
        return self.tar.tarstream.offset

    def close(self) -> ShardInfo:
        self.tar.close()
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        digest = sha256_file(self.path)
        size = self.path.stat().st_size
        return ShardInfo(name=self.path.name, count=self.count, bytes=size, sha256=digest)


def _encode(sample: Mapping[str, Any], index: int) -> tuple[str, dict[str, bytes], dict]:
    if not isinstance(sample, Mapping):
        raise TypeError(f"sample {index} is a {type(sample).__name__}, expected a mapping")
    key = check_key(sample.get(KEY, f"{index:09d}"))
    members: dict[str, bytes] = {}
    specs: dict[str, dict] = {}
    for name, value in sample.items():
        if name == KEY:
            continue
        check_name(name, key)
        try:
            kind = value_kind(value)
            field, member = member_name(name, kind)
            if field in specs:
                raise ValueError(f"a second field reads back as {field!r}")
            data = encode_value(kind, value)
            if len(data) > MAX_MEMBER_BYTES:
                raise ValueError(
                    f"{len(data)} bytes exceed the reader's limit of {MAX_MEMBER_BYTES} per member"
                )
            members[member] = data
            specs[field] = describe(kind, value, member)
        except (TypeError, ValueError) as exn:
            raise type(exn)(f"sample {key!r}, field {name!r}: {exn}") from exn
    if not members:
        raise ValueError(f"sample {key!r} has no fields")
    return key, members, specs


def _merge_schema(schema: dict, specs: dict, key: str) -> dict:
    if not schema:
        return specs
    if specs.keys() != schema.keys():
        raise ValueError(
            f"sample {key!r} has fields {sorted(specs)}, earlier samples had {sorted(schema)}"
        )
    return {name: merge_spec(schema[name], specs[name], name, key) for name in schema}


def write_shards(
    samples: Iterable[Mapping[str, Any]],
    dest: str | Path,
    *,
    max_count: int | None = None,
    max_bytes: int | None = None,
    prefix: str = "shard",
    chunk_size: int | None = None,
    overwrite: bool = False,
) -> Manifest:
    """Write samples as a shard set in `dest`: `dest/set-<time>-<random>/<prefix>-000000.tar`, ...
    listed by `dest/manifest.json` (shard names relative to `dest`, counts, sizes, sha256, schema).

    A shard closes before it would exceed `max_count` samples or `max_bytes` bytes (a single larger
    sample gets a shard of its own); with neither given, shards stop at 256 MiB. `chunk_size=n`
    stores up to n samples per tar record, each field stacked (arrays of one shape and dtype) or
    listed (other values), which the reader splits again (see chunks.py): less work per sample
    when samples are small. A folder that
    already holds a manifest is refused unless `overwrite=True`. The set is written in a hidden
    folder and published by one atomic rename of the manifest (see shardset.py): a writer that
    raises or is killed at any moment leaves the old set, or the new one, complete and readable.
    """
    dest = Path(dest)
    if max_count is not None and max_count < 1:
        raise ValueError(f"max_count must be >= 1, got {max_count}")
    if max_bytes is not None and max_bytes < tarfile.RECORDSIZE:
        raise ValueError(
            f"max_bytes must be >= {tarfile.RECORDSIZE} (one tar record), got {max_bytes}"
        )
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if max_count is None and max_bytes is None:
        max_bytes = DEFAULT_MAX_BYTES
    dest.mkdir(parents=True, exist_ok=True)
    with write_lock(dest):
        old = None
        if (dest / MANIFEST_NAME).exists():
            if not overwrite:
                raise FileExistsError(
                    f"{dest} already holds a shard set; pass overwrite=True to replace it"
                )
            with contextlib.suppress(ValueError):  # an unreadable manifest is simply replaced
                old = Manifest.load(dest)
        clean_leftovers(dest, old)
        partial, final = new_set_folder(dest)
        try:
            inner = _write_set(samples, partial, prefix, max_count, max_bytes, chunk_size)
            return switch_to(dest, partial, final, inner, old)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise


class _Shards:
    """Shards filled in turn in `folder`: a shard closes before a record would overfill it."""

    def __init__(self, folder: Path, prefix: str, max_count: int | None, max_bytes: int | None):
        self.folder, self.prefix = folder, prefix
        self.max_count, self.max_bytes = max_count, max_bytes
        self.mtime = int(time.time())  # a float mtime costs a PAX header per member
        self.written: list[ShardInfo] = []
        self.current: _OpenShard | None = None

    def room(self) -> int | None:
        """Samples the open shard still takes (a full or missing one: a new shard's worth)."""
        if self.max_count is None:
            return None
        left = self.max_count - (self.current.count if self.current else 0)
        return left if left > 0 else self.max_count

    def put(self, key: str, members: dict[str, bytes], count: int) -> None:
        """Write one tar record of `count` samples (1, or a chunk's)."""
        if self.current is not None and self._is_full(members, count):
            self.written.append(self.current.close())
            self.current = None
        if self.current is None:
            name = f"{self.prefix}-{len(self.written):06d}.tar"
            self.current = _OpenShard(self.folder / name, self.mtime)
        self.current.tar.write({KEY: key, **members})
        self.current.count += count

    def _is_full(self, members: dict[str, bytes], count: int) -> bool:
        shard = self.current
        if self.max_count is not None and shard.count + count > self.max_count:
            return True
        if self.max_bytes is None:
            return False
        closed = _padded(shard.offset + _tar_bytes(members) + TAR_END, tarfile.RECORDSIZE)
        return closed > self.max_bytes

    def close(self) -> tuple[ShardInfo, ...]:
        if self.current is None:
            raise ValueError("no samples to write")
        self.written.append(self.current.close())
        return tuple(self.written)


def _write_set(
    samples: Iterable[Mapping[str, Any]],
    folder: Path,
    prefix: str,
    max_count: int | None,
    max_bytes: int | None,
    chunk_size: int | None,
) -> Manifest:
    """Encode `samples` into shards in `folder`; their manifest, with plain shard names."""
    shards = _Shards(folder, prefix, max_count, max_bytes)
    schema: dict = {}
    keys: set[str] = set()
    pending: list[tuple[str, Mapping[str, Any]]] = []
    for index, sample in enumerate(samples):
        key, members, specs = _encode(sample, index)
        if key in keys:
            raise ValueError(f"duplicate __key__ {key!r}")
        keys.add(key)
        schema = _merge_schema(schema, specs, key)
        if chunk_size is None:
            shards.put(key, members, 1)
            continue
        pending.append((key, sample))
        if len(pending) >= min(chunk_size, shards.room() or chunk_size):
            _put_chunk(shards, pending)
            pending = []
    if pending:
        _put_chunk(shards, pending)
    return Manifest(shards=shards.close(), schema=schema)


def _put_chunk(shards: _Shards, pending: list[tuple[str, Mapping[str, Any]]]) -> None:
    keys = [key for key, _ in pending]
    try:
        members = encode_chunk([sample for _, sample in pending], keys)
    except (TypeError, ValueError) as exn:
        raise type(exn)(f"chunk from sample {keys[0]!r}: {exn}") from exn
    largest = max(len(data) for data in members.values())
    if largest > MAX_MEMBER_BYTES:
        raise ValueError(
            f"chunk from sample {keys[0]!r}: a member of {largest} bytes exceeds the reader's "
            f"limit of {MAX_MEMBER_BYTES}; use a smaller chunk_size"
        )
    shards.put(keys[0], members, len(pending))
