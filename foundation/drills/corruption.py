"""Drill: damage shard sets and kill writers at random moments; print what the reader caught.

    python foundation/drills/corruption.py [--corruptions 60] [--kills 60] [--seed 0]

Corruptions: each on a fresh set of 6 shards; one of nine kinds of damage (a flipped byte, a
zeroed block, a truncation, appended bytes, a deleted shard, a shard swapped for another, a
garbled manifest, and with sha256 checks off a damaged tar header or a truncation), read in
this process or through 2 DataLoader workers. Named: the read raised CorruptShardError (or
ValueError for the manifest) whose message is one line and names the damaged file.

Kills: SIGKILL of a process overwriting a set (`write_shards(..., overwrite=True)`) at a moment
drawn uniformly over a whole overwrite; after each, the set must read whole, every sha256
checked, and be the old set or the new one. The next write must clean what killed writers left.

Exits 1 unless every corruption was named and every kill left a readable set.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from polymath.foundation.data import CorruptShardError, Manifest, ShardDataModule, write_shards
from polymath.foundation.data.shardset import clean_leftovers

SHARDS, PER_SHARD = 6, 20


def samples(count: int, start: int = 0):
    for index in range(start, start + count):
        yield {"x": np.full(16, index, dtype=np.float32), "label": index}


def _flip(path: Path, rng: random.Random) -> None:
    raw = bytearray(path.read_bytes())
    raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(raw))


def _zero_block(path: Path, rng: random.Random) -> None:
    raw = bytearray(path.read_bytes())
    start = 512 * rng.randrange(len(raw) // 512 - 2)  # not the end-of-archive blocks
    if not any(raw[start : start + 512]):
        start = 0
    raw[start : start + 512] = bytes(512)
    path.write_bytes(bytes(raw))


def _truncate(path: Path, rng: random.Random) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: rng.randrange(len(raw) - 1024)])


def _append(path: Path, rng: random.Random) -> None:
    path.write_bytes(path.read_bytes() + rng.randbytes(rng.randrange(1, 2048)))


def _delete(path: Path, rng: random.Random) -> None:
    path.unlink()


def _swap(path: Path, rng: random.Random) -> None:
    others = sorted(p for p in path.parent.glob("*.tar") if p != path)
    path.write_bytes(rng.choice(others).read_bytes())


def _header(path: Path, rng: random.Random) -> None:
    raw = bytearray(path.read_bytes())
    raw[rng.choice([0, 100, 124, 148])] ^= 0x55  # the first member's name, size or checksum
    path.write_bytes(bytes(raw))


# kind -> (damage, sha256 checks on)
DAMAGE: dict[str, tuple[Callable[[Path, random.Random], None], bool]] = {
    "flipped byte": (_flip, True),
    "zeroed block": (_zero_block, True),
    "truncated": (_truncate, True),
    "appended bytes": (_append, True),
    "deleted shard": (_delete, True),
    "swapped shard": (_swap, True),
    "garbled manifest": (lambda path, rng: None, True),
    "bad header, no sha256": (_header, False),
    "truncated, no sha256": (_truncate, False),
}


def corruption_named(folder: Path, kind: str, workers: int, rng: random.Random) -> bool:
    """Damage a fresh set in `folder` one way; whether the read named the damaged file."""
    write_shards(samples(SHARDS * PER_SHARD), folder, max_count=PER_SHARD, overwrite=True)
    damage, verify = DAMAGE[kind]
    if kind == "garbled manifest":
        target = folder / "manifest.json"
        target.write_text(target.read_text()[: rng.randrange(1, 200)])
    else:
        target = folder / rng.choice(Manifest.load(folder).shards).name
        damage(target, rng)
    try:
        loader = ShardDataModule(
            folder, batch_size=8, num_workers=workers, verify=verify, persistent_workers=False
        ).train_dataloader()
        for _ in loader:
            pass
    except (CorruptShardError, ValueError) as error:
        message = str(error)
        return "\n" not in message and str(target) in message
    return False


def _overwrite(dest: Path, start: int) -> None:
    write_shards(samples(240, start), dest, max_count=8, overwrite=True)


def _labels(dest: Path) -> list[int] | None:
    """The set's labels, sorted, or None when it does not read whole."""
    try:
        loader = ShardDataModule(dest, batch_size=64, persistent_workers=False).train_dataloader()
        return sorted(label for batch in loader for label in batch["label"].tolist())
    except (CorruptShardError, OSError, ValueError):
        return None


def kill_drill(dest: Path, kills: int, rng: random.Random) -> tuple[Counter, int]:
    """(outcomes of the kills, entries left over after the next write)."""
    context = multiprocessing.get_context("fork")
    write_shards(samples(240), dest, max_count=8)
    began = time.perf_counter()
    full = context.Process(target=_overwrite, args=(dest, 0))
    full.start()
    full.join()
    duration = time.perf_counter() - began
    current, outcomes = list(range(240)), Counter()
    for trial in range(1, kills + 1):
        new = list(range(1000 * trial, 1000 * trial + 240))
        writer = context.Process(target=_overwrite, args=(dest, new[0]))
        writer.start()
        time.sleep(rng.uniform(0, 1.2 * duration))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
        labels = _labels(dest)
        outcome = {str(current): "old set", str(new): "new set"}.get(str(labels), "unreadable")
        outcomes[outcome] += 1
        current = labels if labels is not None else current
    manifest = Manifest.load(dest)
    clean_leftovers(dest, manifest)
    listed = {shard.name.split("/")[0] for shard in manifest.shards} | {"manifest.json"}
    leftovers = len([path for path in dest.iterdir() if path.name not in listed])
    return outcomes, leftovers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corruptions", type=int, default=60)
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    kinds = list(DAMAGE)
    named: Counter = Counter()
    tried: Counter = Counter()
    with tempfile.TemporaryDirectory() as scratch:
        for trial in range(args.corruptions):
            kind = kinds[trial % len(kinds)]
            workers = 2 if trial % 3 == 2 else 0
            tried[kind] += 1
            named[kind] += corruption_named(Path(scratch) / "set", kind, workers, rng)
        outcomes, leftovers = kill_drill(Path(scratch) / "killed", args.kills, rng)
    total = sum(named.values())
    detail = ", ".join(f"{kind} {named[kind]}/{tried[kind]}" for kind in kinds if tried[kind])
    print(
        f"corruptions: {total} of {args.corruptions} named the damaged file in one line ({detail})"
    )
    readable = outcomes["old set"] + outcomes["new set"]
    print(
        f"kills: {readable} of {args.kills} left a complete set that reads whole "
        f"(old set {outcomes['old set']}, new set {outcomes['new set']}, "
        f"unreadable {outcomes['unreadable']}); entries left after the next write's clean-up: "
        f"{leftovers}"
    )
    return 0 if total == args.corruptions and readable == args.kills and not leftovers else 1


if __name__ == "__main__":
    sys.exit(main())
