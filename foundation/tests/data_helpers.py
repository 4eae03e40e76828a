"""Shared helpers for the test_data_* files: small sample sets and shard sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from polymath.foundation.data import Manifest, write_shards


def vector_samples(count: int, width: int = 4, start: int = 0) -> list[dict]:
    """Samples whose `x` row and `label` both encode the sample index."""
    return [
        {"x": np.full(width, index, dtype=np.float32), "label": index}
        for index in range(start, start + count)
    ]


def write_vector_shards(dest: Path, count: int = 16, per_shard: int = 4, **kwargs) -> Manifest:
    return write_shards(vector_samples(count), dest, max_count=per_shard, **kwargs)


def labels_of(samples) -> list[int]:
    return [int(sample["label"]) for sample in samples]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes by relative path, to prove a folder was left untouched."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def change_a_value(path: Path) -> None:
    """Turn the float32 12.0 into 48.0 in a shard: still a valid tar, different sha256."""
    raw = path.read_bytes()
    changed = raw.replace(b"\x00\x00\x40\x41", b"\x00\x00\x40\x42", 1)
    assert changed != raw
    path.write_bytes(changed)


def set_folder(dest: Path) -> Path:
    """The folder holding the shards of the set in force at `dest`."""
    return dest / Manifest.load(dest).shards[0].name.split("/")[0]
