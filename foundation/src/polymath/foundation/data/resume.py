"""Exact mid-epoch resume of a worker's stream: which samples it already gave, and its state after.

A loader's state is (epoch, batches it yielded). A DataLoader takes batches from its workers in
turn, skipping workers that ran out, always starting with worker 0 (`round_robin`); a resumed
epoch therefore renumbers the workers so that worker 0 plays the one whose turn was next. A worker's stream is fixed by its rng
(seeded by seed, rank, worker and epoch), its shard order and the shards' sample counts, so it
is replayed over sample positions instead of samples (`fast_forward`): no shard is read except
those holding the samples still in the shuffle buffer and the one in progress.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from polymath.foundation.data.manifest import ShardInfo
from polymath.foundation.data.shuffle import ShuffleBuffer

# (url, info, first sample to read) -> that shard's samples from there on
ReadShard = Callable[[str, ShardInfo, int], Iterator[dict[str, Any]]]


def round_robin(batches: int, per_worker: list[int]) -> tuple[list[int], int]:
    """(batches each worker gave, worker whose turn is next) after a loader's first `batches`
    batches, when worker w has `per_worker[w]` of them: a DataLoader takes one from each worker
    in turn, skipping exhausted ones."""
    taken = [0] * len(per_worker)
    left, last = batches, -1
    while left:
        active = [w for w, total in enumerate(per_worker) if taken[w] < total]
        if not active:
            break
        rounds = min(left // len(active), min(per_worker[w] - taken[w] for w in active))
        if rounds == 0:
            for w in active[:left]:
                taken[w] += 1
            last = active[left - 1]
            break
        for w in active:
            taken[w] += rounds
        left -= rounds * len(active)
    workers = len(per_worker)
    after = [(last + 1 + step) % workers for step in range(workers)]
    upcoming = [w for w in after if taken[w] < per_worker[w]]
    return taken, upcoming[0] if upcoming else 0


class _Positions:
    """Sample positions (draw, url, info, offset) in stream order; remembers the last one given."""

    def __init__(self, shards: Iterator[tuple[str, ShardInfo]]):
        self.shards = shards
        self.last: tuple[int, str, ShardInfo, int] | None = None

    def __iter__(self) -> Iterator[tuple[int, str, ShardInfo, int]]:
        for draw, (url, info) in enumerate(self.shards):
            for offset in range(info.count):
                self.last = (draw, url, info, offset)
                yield self.last


def _materialise(positions: list[tuple], read: ReadShard) -> list[dict[str, Any]]:
    """The samples at `positions`, in that order, reading each shard they come from once."""
    wanted: dict[int, dict[int, list[int]]] = {}
    shard_of: dict[int, tuple[str, ShardInfo]] = {}
    for slot, (draw, url, info, offset) in enumerate(positions):
        wanted.setdefault(draw, {}).setdefault(offset, []).append(slot)
        shard_of[draw] = (url, info)
    samples: list[Any] = [None] * len(positions)
    for draw in sorted(wanted):
        offsets = wanted[draw]
        first, last = min(offsets), max(offsets)
        for offset, sample in enumerate(islice(read(*shard_of[draw], first), last - first + 1)):
            for slot in offsets.get(first + offset, ()):
                samples[slot] = sample
    return samples


def fast_forward(
    shards: Iterator[tuple[str, ShardInfo]],
    buffer: ShuffleBuffer,
    given: int,
    read: ReadShard,
    read_rest: Callable[[Iterable[tuple[str, ShardInfo, int]]], Iterator[dict[str, Any]]],
) -> Iterator[dict[str, Any]]:
    """Advance `shards`, `buffer` and their rng as if `given` samples had come out of the buffer;
    fill the buffer with the real samples; return the source to continue from."""
    positions = _Positions(shards)
    for _ in islice(buffer(positions), given):
        pass
    buffer.items[:] = _materialise(buffer.items, read)
    if positions.last is None:
        return read_rest(())
    _, url, info, offset = positions.last
    return read_rest(_rest_of_stream((url, info, offset + 1), shards))


def _rest_of_stream(
    current: tuple[str, ShardInfo, int], shards: Iterator[tuple[str, ShardInfo]]
) -> Iterator[tuple[str, ShardInfo, int]]:
    """The shard in progress from its next sample (unless it is done), then the shards to come."""
    if current[2] < current[1].count:
        yield current
    for url, info in shards:
        yield url, info, 0
