"""Shard sets replaced as a whole: each write fills a new folder, and `manifest.json` switches.

    dest/manifest.json             names "set-<time>-<random>/shard-000000.tar", ...
    dest/set-<time>-<random>/      the shards, and a manifest of their own (plain names)

A set is written in a hidden `.set-....partial` folder, fsynced, renamed to its final name, and
only then does one atomic rename of `manifest.json` switch readers to it; the old set is removed
after that. A kill at any moment leaves the old set or the new one complete and listed by the
manifest. Leftovers of killed writers (hidden `.partial` entries, sets no manifest lists) are
removed by the next write, which holds an exclusive lock on `dest` while it runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from polymath.foundation.data.atomic import PARTIAL_SUFFIX, fsync_dir
from polymath.foundation.data.manifest import MANIFEST_NAME, Manifest

SET_PREFIX = "set-"
SET_NAME = re.compile(r"set-\d{8}T\d{6}-[0-9a-f]{6}")
# what killed writers leave: a set folder being written, or a file of atomic.write_bytes_atomic
LEFTOVER = re.compile(r"\.(set-\d{8}T\d{6}-[0-9a-f]{6}|.+\.\d+-[0-9a-f]{8})\.partial")


@contextlib.contextmanager
def write_lock(dest: Path) -> Iterator[None]:
    """Hold an exclusive lock on the folder `dest` (released by the kernel if the writer dies)."""
    descriptor = os.open(dest, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BlockingIOError(f"another write_shards is writing to {dest}") from None
        yield
    finally:
        os.close(descriptor)


def new_set_folder(dest: Path) -> tuple[Path, Path]:
    """(hidden partial folder to write in, final folder name), both new."""
    name = f"{SET_PREFIX}{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
    partial = dest / f".{name}{PARTIAL_SUFFIX}"
    partial.mkdir()
    return partial, dest / name


def _listed_sets(manifest: Manifest | None) -> set[str]:
    if manifest is None:
        return set()
    return {shard.name.split("/", 1)[0] for shard in manifest.shards if "/" in shard.name}


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def clean_leftovers(dest: Path, current: Manifest | None) -> None:
    """Remove what killed writers left in `dest`: hidden `.partial` files and folders of the
    names this module and atomic.py give, and set folders that `current` (the manifest in force)
    does not list. Anything else in `dest` is left alone. Call it under `write_lock`."""
    keep = _listed_sets(current)
    for entry in dest.iterdir():
        name = entry.name
        stale_set = SET_NAME.fullmatch(name) and entry.is_dir() and name not in keep
        if stale_set or LEFTOVER.fullmatch(name):
            _remove(entry)


def switch_to(
    dest: Path, partial: Path, final: Path, inner: Manifest, old: Manifest | None
) -> Manifest:
    """Publish the complete set in `partial` as `final`, point `dest/manifest.json` at it in one
    atomic rename, then remove the old set. Returns the manifest now in force."""
    inner.save(partial / MANIFEST_NAME)
    fsync_dir(partial)
    os.replace(partial, final)
    fsync_dir(dest)
    shards = tuple(replace(shard, name=f"{final.name}/{shard.name}") for shard in inner.shards)
    manifest = Manifest(shards=shards, schema=inner.schema)
    manifest.save(dest / MANIFEST_NAME)
    if old is not None:
        for shard in old.shards:
            if "/" not in shard.name:  # a flat set written by foundation 0.1
                (dest / shard.name).unlink(missing_ok=True)
    clean_leftovers(dest, manifest)
    return manifest
