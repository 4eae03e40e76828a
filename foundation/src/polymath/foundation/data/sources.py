"""Turn a shard source (manifest, directory, brace pattern, URLs, pipe: commands) into shard URLs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import braceexpand

from polymath.foundation.data.manifest import MANIFEST_NAME, Manifest, ShardInfo

Source = str | Path | Sequence[str | Path]
REMOTE_PREFIXES = ("http://", "https://", "pipe:")


@dataclass(frozen=True)
class ShardSet:
    """Shard URLs in manifest order; `infos` (counts, sha256) only when a manifest covers them all."""

    urls: tuple[str, ...]
    infos: tuple[ShardInfo, ...] | None = None

    @property
    def counts(self) -> list[int] | None:
        return None if self.infos is None else [info.count for info in self.infos]


def is_local(url: str) -> bool:
    return not url.startswith(REMOTE_PREFIXES)


def _from_manifest(location: str, manifest: Manifest) -> ShardSet:
    base = location.rsplit("/", 1)[0] if location.endswith(".json") else location.rstrip("/")
    return ShardSet(tuple(f"{base}/{info.name}" for info in manifest.shards), manifest.shards)


def _local_infos(urls: list[str]) -> tuple[ShardInfo, ...] | None:
    """Infos from a manifest.json next to local shards, when it lists every one of them."""
    folders = {os.path.dirname(url) or "." for url in urls}
    if len(folders) != 1 or not (Path(folders.pop()) / MANIFEST_NAME).is_file():
        return None
    known = Manifest.load(Path(urls[0]).parent).by_name()
    infos = [known.get(os.path.basename(url)) for url in urls]
    return None if None in infos else tuple(infos)


def resolve_source(source: Source) -> ShardSet:
    """Expand `source` into shard URLs, with manifest infos where a manifest is available.

    - a local manifest file, or a directory holding manifest.json;
    - an http(s) URL of a manifest (ending in .json) or of a directory (ending in /);
    - brace patterns / lists of local paths, http(s) URLs or `pipe:` commands; local shards pick up
      the manifest.json beside them when it lists them all.
    """
    if isinstance(source, (str, Path)):
        text = str(source)
        if text.startswith(("http://", "https://")) and text.endswith((".json", "/")):
            manifest_url = text if text.endswith(".json") else text + MANIFEST_NAME
            return _from_manifest(manifest_url, Manifest.load(manifest_url))
        if is_local(text) and (text.endswith(".json") or Path(text).is_dir()):
            return _from_manifest(str(Path(text).resolve()), Manifest.load(text))
        items: Sequence[str | Path] = [text]
    else:
        items = list(source)
    urls = [url for item in items for url in braceexpand.braceexpand(str(item))]
    if not urls:
        raise ValueError(f"shard source {source!r} names no shards")
    local = [url for url in urls if is_local(url)]
    missing = [url for url in local if not Path(url).is_file()]
    if missing:
        raise FileNotFoundError(f"shard {missing[0]} does not exist ({len(missing)} missing)")
    infos = _local_infos(urls) if len(local) == len(urls) else None
    return ShardSet(tuple(urls), infos)
