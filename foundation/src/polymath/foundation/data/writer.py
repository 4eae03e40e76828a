"""write_shards: samples -> .tar shards plus manifest.json, every file written atomically."""

from __future__ import annotations

import hashlib
import os
import tarfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import webdataset as wds

from polymath.foundation.data.atomic import fsync_dir, partial_path
from polymath.foundation.data.encoding import (
    EXTENSION,
    KEY,
    check_key,
    check_name,
    describe,
    encode_value,
    merge_spec,
    value_kind,
)
from polymath.foundation.data.manifest import MANIFEST_NAME, Manifest, ShardInfo

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
    """One shard being written under a partial name; sha256 and size are known once closed."""

    def __init__(self, final: Path, mtime: int):
        self.final = final
        self.partial = partial_path(final)
        self.handle = open(self.partial, "wb")  # noqa: SIM115 (closed in close/discard)
        self.tar = wds.TarWriter(self.handle, encoder=False, mtime=mtime)
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
        digest = hashlib.sha256(self.partial.read_bytes()).hexdigest()
        size = self.partial.stat().st_size
        return ShardInfo(name=self.final.name, count=self.count, bytes=size, sha256=digest)

    def discard(self) -> None:
        self.tar.tarstream.fileobj.closed = True  # drop tarfile's buffer instead of flushing it
        self.handle.close()
        self.partial.unlink(missing_ok=True)


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
            members[f"{name}.{EXTENSION[kind]}"] = encode_value(kind, value)
            specs[name] = describe(kind, value)
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


def _commit(
    dest: Path,
    written: list[tuple[Path, ShardInfo]],
    old: Manifest | None,
    schema: dict,
    overwrite: bool,
) -> Manifest:
    """Rename the finished shards into place, then the manifest; drop old shards no longer listed."""
    old_names = set(old.by_name()) if old else set()
    for _, info in written:
        final = dest / info.name
        if final.exists() and not overwrite and info.name not in old_names:
            raise FileExistsError(
                f"{final} exists and is not ours; pass overwrite=True to replace it"
            )
    for partial, info in written:
        os.replace(partial, dest / info.name)
    fsync_dir(dest)
    manifest = Manifest(shards=tuple(info for _, info in written), schema=schema)
    manifest.save(dest / MANIFEST_NAME)
    for name in old_names - {info.name for _, info in written}:
        (dest / name).unlink(missing_ok=True)
    return manifest


def write_shards(
    samples: Iterable[Mapping[str, Any]],
    dest: str | Path,
    *,
    max_count: int | None = None,
    max_bytes: int | None = None,
    prefix: str = "shard",
    overwrite: bool = False,
) -> Manifest:
    """Write samples into `dest/<prefix>-000000.tar`, ... and `dest/manifest.json`.

    A shard closes before it would exceed `max_count` samples or `max_bytes` bytes (a single larger
    sample gets a shard of its own); with neither given, shards stop at 256 MiB. Each shard is
    written under a hidden `.partial` name, fsynced and renamed, and the manifest is renamed last,
    so a killed writer leaves no shard or manifest that looks complete. A directory that already
    holds a manifest is refused unless `overwrite=True`; the old set stays untouched until every
    new shard is complete.
    """
    dest = Path(dest)
    if max_count is not None and max_count < 1:
        raise ValueError(f"max_count must be >= 1, got {max_count}")
    if max_bytes is not None and max_bytes < tarfile.RECORDSIZE:
        raise ValueError(
            f"max_bytes must be >= {tarfile.RECORDSIZE} (one tar record), got {max_bytes}"
        )
    if max_count is None and max_bytes is None:
        max_bytes = DEFAULT_MAX_BYTES
    dest.mkdir(parents=True, exist_ok=True)
    old = None
    if (dest / MANIFEST_NAME).exists():
        if not overwrite:
            raise FileExistsError(
                f"{dest} already holds a shard set; pass overwrite=True to replace it"
            )
        old = Manifest.load(dest)

    mtime = int(time.time())  # a float mtime costs a PAX header per member
    written: list[tuple[Path, ShardInfo]] = []
    current: _OpenShard | None = None
    schema: dict = {}
    keys: set[str] = set()
    try:
        for index, sample in enumerate(samples):
            key, members, specs = _encode(sample, index)
            if key in keys:
                raise ValueError(f"duplicate __key__ {key!r}")
            keys.add(key)
            schema = _merge_schema(schema, specs, key)
            if current is not None and _is_full(current, members, max_count, max_bytes):
                written.append((current.partial, current.close()))
                current = None
            if current is None:
                current = _OpenShard(dest / f"{prefix}-{len(written):06d}.tar", mtime)
            current.tar.write({KEY: key, **members})
            current.count += 1
        if current is None:
            raise ValueError("no samples to write")
        written.append((current.partial, current.close()))
        current = None
        return _commit(dest, written, old, schema, overwrite)
    except BaseException:
        if current is not None:
            current.discard()
        for partial, _ in written:
            partial.unlink(missing_ok=True)
        raise


def _is_full(
    shard: _OpenShard, members: dict[str, bytes], max_count: int | None, max_bytes: int | None
) -> bool:
    if max_count is not None and shard.count >= max_count:
        return True
    if max_bytes is None:
        return False
    closed_size = _padded(shard.offset + _tar_bytes(members) + TAR_END, tarfile.RECORDSIZE)
    return closed_size > max_bytes
