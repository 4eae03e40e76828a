"""Which shards each (rank, worker) reads, how many samples and batches that makes, and the guards
that turn an impossible split into a clear error instead of a hang."""

from __future__ import annotations

import math


def rank_worker_slice(
    items: list, rank: int, world_size: int, worker: int, num_workers: int
) -> list:
    """The shards of one (rank, worker): node split then worker split, as webdataset does."""
    return items[rank::world_size][worker::num_workers]


def check_enough_shards(num_shards: int, world_size: int, num_workers: int) -> None:
    readers = world_size * max(num_workers, 1)
    if num_shards < readers:
        raise ValueError(
            f"{num_shards} shards cannot feed {world_size} ranks x {max(num_workers, 1)} workers "
            f"= {readers} readers: write at least {readers} shards (e.g. a smaller max_count), "
            "use fewer workers, or pass resampled=True with epoch_length"
        )


def resampled_quota(epoch_length: int, worker: int, num_workers: int) -> int:
    """Samples one worker yields so that a rank's workers together yield `epoch_length`."""
    return epoch_length // num_workers + (worker < epoch_length % num_workers)


def num_batches(samples: int, batch_size: int, drop_last: bool) -> int:
    return samples // batch_size if drop_last else math.ceil(samples / batch_size)


def rank_length(
    counts: list[int] | None,
    rank: int,
    world_size: int,
    num_workers: int,
    *,
    resampled: bool,
    epoch_length: int | None,
    batch_size: int | None,
    drop_last: bool = False,
) -> int | None:
    """Samples (or batches, when batching happens in the workers) one rank yields per epoch."""
    workers = max(num_workers, 1)
    if resampled:
        per_worker = [resampled_quota(epoch_length, w, workers) for w in range(workers)]
    elif counts is None:
        return None
    else:
        per_worker = [
            sum(rank_worker_slice(counts, rank, world_size, w, workers)) for w in range(workers)
        ]
    if batch_size is None:
        return sum(per_worker)
    return sum(num_batches(n, batch_size, drop_last) for n in per_worker)
