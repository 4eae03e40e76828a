"""The manifest of a shard set: shard names, sample counts, byte sizes, sha256 and sample schema."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polymath.foundation.data.atomic import write_bytes_atomic

MANIFEST_NAME = "manifest.json"
FORMAT = "polymath-shards/1"


@dataclass(frozen=True)
class ShardInfo:
    name: str
    count: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What `write_shards` wrote; readers use it for lengths, splitting guards and checksums."""

    shards: tuple[ShardInfo, ...]
    schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(shard.count for shard in self.shards)

    def by_name(self) -> dict[str, ShardInfo]:
        return {shard.name: shard for shard in self.shards}

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "total": self.total,
            "shards": [vars(shard) for shard in self.shards],
            "schema": {key: dict(spec) for key, spec in self.schema.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "manifest") -> Manifest:
        if data.get("format") != FORMAT:
            raise ValueError(f"{origin}: not a {FORMAT} manifest (format={data.get('format')!r})")
        shards = tuple(ShardInfo(**shard) for shard in data["shards"])
        for shard in shards:
            parts = shard.name.split("/")
            if shard.name.startswith("/") or ".." in parts or "" in parts:
                raise ValueError(f"{origin}: shard name {shard.name!r} leaves the set's folder")
        return cls(shards=shards, schema=data.get("schema", {}))

    def save(self, path: str | Path) -> None:
        """Write atomically to `path` (a file, or a directory that gets manifest.json)."""
        path = Path(path)
        if path.is_dir():
            path = path / MANIFEST_NAME
        text = json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"
        write_bytes_atomic(path, text.encode())

    @classmethod
    def load(cls, path: str | Path) -> Manifest:
        """Read a manifest from a file, a directory holding manifest.json, or an http(s) URL."""
        text = str(path)
        if text.startswith(("http://", "https://")):
            try:
                with urllib.request.urlopen(text, timeout=30) as response:
                    return cls.from_dict(json.load(response), origin=text)
            except OSError as exn:
                raise FileNotFoundError(f"no shard manifest at {text}: {exn}") from exn
        path = Path(path)
        if path.is_dir():
            path = path / MANIFEST_NAME
        if not path.is_file():
            raise FileNotFoundError(f"no shard manifest at {path}")
        try:
            return cls.from_dict(json.loads(path.read_text()), origin=str(path))
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exn:
            raise ValueError(f"{path}: unreadable shard manifest ({exn})") from exn


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
