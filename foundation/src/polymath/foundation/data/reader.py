"""shard_dataset: stream samples from a shard set, split over ranks and workers, checked as read."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import mmap
import os
import random
import tarfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, BinaryIO

import torch.utils.data
import webdataset as wds

from polymath.foundation.data.chunks import KEYS, Row, collate_rows, column_rows, rows
from polymath.foundation.data.collate import collate_samples
from polymath.foundation.data.decoders import Decoder, decoder_for, registered_decoders
from polymath.foundation.data.encoding import KEY, NpyPayload, split_member_name, to_torch
from polymath.foundation.data.errors import CorruptShardError, ShardChecksumError, WorkerFailure
from polymath.foundation.data.manifest import ShardInfo, sha256_file
from polymath.foundation.data.regular import regular_stretch
from polymath.foundation.data.resume import fast_forward, round_robin
from polymath.foundation.data.seeding import epoch_token, placement
from polymath.foundation.data.shuffle import ShuffleBuffer
from polymath.foundation.data.sources import ShardSet, Source, is_local, resolve_source
from polymath.foundation.data.splitting import (
    check_enough_shards,
    num_batches,
    rank_length,
    rank_worker_slice,
    resampled_quota,
)
from polymath.foundation.data.tarstream import ShardFormatError, tar_members

READ_ERRORS = (tarfile.TarError, OSError, EOFError, ValueError, KeyError)


class _HashingReader:
    """Hashes the bytes of a remote stream as tarfile reads them."""

    def __init__(self, stream: Any, digest: Any):
        self.stream, self.digest = stream, digest

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


def _member_reader(
    fields: frozenset[str] | None, decoders: Mapping[str, Decoder]
) -> Callable[[str], tuple[str, Decoder | None] | None]:
    """Member suffix ("x.npy") -> (field, decoder or None for raw bytes), or None when the field
    is not wanted; cached, since a shard repeats a few suffixes many times."""
    known: dict[str, tuple[str, Decoder | None] | None] = {}

    def reader(suffix: str) -> tuple[str, Decoder | None] | None:
        if suffix not in known:
            _, field, extension = split_member_name(f"_.{suffix}")
            wanted = fields is None or field in fields or field == KEYS
            known[suffix] = (field, decoder_for(decoders, extension)) if wanted else None
        return known[suffix]

    return reader


def _samples_in_tar(
    source: Any,
    fields: frozenset[str] | None,
    decoders: Mapping[str, Decoder],
    check_headers: bool = True,
) -> Iterator[dict[str, Any] | Row]:
    """Samples of one tar stream or mapped tar: dicts, or Rows of a chunk of the chunked layout
    or of a regular stretch of a mapped shard (regular.py)."""
    member_reader = _member_reader(fields, decoders)
    start = 0
    if isinstance(source, mmap.mmap):
        stretch = regular_stretch(source, member_reader, check_headers)
        if stretch is not None:
            columns, count, start = stretch
            yield from column_rows(columns, count)
    sample: dict[str, Any] = {}
    for name, data in tar_members(source, check_headers, start):
        if name.startswith("__"):
            continue
        key, _, suffix = name.partition(".")
        if key != sample.get(KEY):
            if KEYS in sample:
                yield from rows(sample)
            elif sample:
                yield sample
            sample = {KEY: key}
        reading = member_reader(suffix)
        if reading is not None:
            field, decode = reading
            if decode is None:
                sample[field] = bytes(data)
            else:  # .npy payloads read views of a mapped shard; other decoders get bytes
                sample[field] = decode(data if decode is NpyPayload else bytes(data))
    if KEYS in sample:
        yield from rows(sample)
    elif sample:
        yield sample


def _collate(batch: list) -> dict[str, Any]:
    """Rows (chunked or regular stretches) and dicts alike; a batch that mixes them (a shard's
    irregular end) goes through sample dicts."""
    kinds = set(map(type, batch))
    if kinds == {Row}:
        return collate_rows(batch)
    return collate_samples(batch if Row not in kinds else [_as_sample(item) for item in batch])


def _batches(items: Iterable[Any], size: int, partial: bool) -> Iterator[dict[str, Any]]:
    """Collated batches of `size` items (the last one smaller when `partial`)."""
    items = iter(items)
    while batch := list(islice(items, size)):
        if len(batch) < size and not partial:
            return
        yield _collate(batch)


def _as_sample(item: dict[str, Any] | Row) -> dict[str, Any]:
    return item.sample() if isinstance(item, Row) else to_torch(item)


def _verify_local(url: str, info: ShardInfo, verified: set) -> None:
    """Hash a local shard before reading it; once per worker while its size and mtime hold."""
    stat = os.stat(url)
    identity = (url, stat.st_size, stat.st_mtime_ns, info.sha256)
    if identity in verified:
        return
    actual = sha256_file(url)
    if actual != info.sha256:
        raise ShardChecksumError(
            f"shard {url}: sha256 {actual} differs from manifest {info.sha256}"
        )
    verified.add(identity)


def _mapped(url: str) -> mmap.mmap | BinaryIO:
    """A local shard mapped in memory, its pages loaded at once (an empty file, which cannot be
    mapped, or a `file:` URL is read as a stream). Never truncate a shard in place while it is
    read: the reader would be killed by SIGBUS; `write_shards` replaces files, never rewrites
    them."""
    if url.startswith("file:"):
        return wds.gopen(url, "rb")
    file = open(url, "rb")  # noqa: SIM115 (a stream is closed by the caller)
    if os.fstat(file.fileno()).st_size == 0:
        return file
    with file:
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        return mmap.mmap(file.fileno(), 0, flags=flags, prot=mmap.PROT_READ)


def _read_shard(url: str, info: ShardInfo | None, start: int, dataset: ShardDataset):
    """Samples of one shard from number `start` on; any failure becomes a CorruptShardError
    naming it."""
    verified = dataset.verify and info is not None and is_local(url)
    if verified:
        try:
            _verify_local(url, info, dataset._verified)
        except OSError as exn:
            raise CorruptShardError(f"cannot read shard {url}: {exn}") from exn
    count = 0
    try:
        stream = _mapped(url) if is_local(url) else wds.gopen(url, "rb")
    except READ_ERRORS as exn:
        raise CorruptShardError(f"cannot open shard {url}: {exn}") from exn
    try:
        hashing = dataset.verify and info is not None and not is_local(url)
        source = _HashingReader(stream, hashlib.sha256()) if hashing else stream
        for sample in _samples_in_tar(
            source, dataset.fields, dataset.decoders, check_headers=not verified
        ):
            count += 1
            if count > start:
                yield sample
        if hashing:
            source.drain()
            if source.digest.hexdigest() != info.sha256:
                raise ShardChecksumError(
                    f"shard {url}: streamed sha256 {source.digest.hexdigest()} differs from "
                    f"manifest {info.sha256} (its {count} samples were already yielded)"
                )
        if not isinstance(stream, mmap.mmap):  # a mapped shard is unmapped with its last view
            stream.close()  # a pipe: or http shard reports its command's exit status here
    except CorruptShardError:
        raise
    except ShardFormatError as exn:
        raise CorruptShardError(f"cannot read shard {url}: {exn}") from exn
    except READ_ERRORS as exn:
        raise CorruptShardError(f"corrupt shard {url} (after {count} samples): {exn}") from exn
    finally:
        if not isinstance(stream, mmap.mmap):
            with contextlib.suppress(Exception):
                stream.close()
    if info is not None and count != info.count:
        raise CorruptShardError(
            f"shard {url} holds {count} samples, its manifest says {info.count}"
        )


def _read_shards(entries: Iterable[tuple], dataset: ShardDataset, attempts: int):
    """Samples of (url, info, first sample) entries in turn; corrupt ones raise or are skipped."""
    failures = 0
    for url, info, start in entries:
        try:
            yield from _read_shard(url, info, start, dataset)
            failures = 0
        except CorruptShardError as exn:
            failures += 1
            if dataset.on_corrupt == "raise" or failures >= attempts:
                raise
            warnings.warn(f"{exn}; skipping the rest of this shard", stacklevel=2)


def _resample(entries: list, rng: random.Random) -> Iterator:
    while True:
        yield rng.choice(entries)


def _reporting(stream: Iterator) -> Iterator:
    """In a DataLoader worker: an error becomes a WorkerFailure item, raised as one line by
    ShardLoader in the main process instead of torch's wrapper text with the worker's traceback."""
    try:
        yield from stream
    except Exception as exn:
        yield WorkerFailure.of(exn)


class ShardDataset(torch.utils.data.IterableDataset):
    """The dataset `shard_dataset` returns; `len()` is per rank, from the manifest.

    ShardLoader drives three attributes from the main process: `epoch` (seeds each epoch's
    shuffle; None means the count of iterations mixed with the DataLoader's worker seed),
    `skip_batches` (the batches a resumed epoch already gave) and `report_errors`.
    """

    def __init__(
        self,
        shards: ShardSet,
        *,
        shuffle: int,
        seed: int,
        resampled: bool,
        epoch_length: int | None,
        verify: bool,
        on_corrupt: str,
        fields: Sequence[str] | None,
        batch_size: int | None,
        drop_last: bool,
        num_workers: int,
        rank: int | None,
        world_size: int | None,
    ):
        super().__init__()
        if on_corrupt not in ("raise", "warn"):
            raise ValueError(f"on_corrupt must be 'raise' or 'warn', got {on_corrupt!r}")
        if resampled and (not isinstance(epoch_length, int) or epoch_length < 1):
            raise ValueError(f"resampled=True needs a positive epoch_length, got {epoch_length!r}")
        if epoch_length is not None and not resampled:
            raise ValueError("epoch_length applies to resampled=True only")
        self.shards, self.shuffle, self.seed = shards, shuffle, seed
        self.resampled, self.epoch_length = resampled, epoch_length
        self.verify, self.on_corrupt = verify, on_corrupt
        self.fields = None if fields is None else frozenset(fields)
        self.decoders = registered_decoders()
        self.batch_size, self.drop_last, self.num_workers = batch_size, drop_last, num_workers
        self.rank, self.world_size = rank, world_size
        self.epoch: int | None = None
        self.skip_batches = 0
        self.report_errors = False
        self._iterations = 0
        self._verified: set[tuple] = set()
        if not resampled:
            check_enough_shards(len(shards.urls), self._where()[1], num_workers)

    def _where(self) -> tuple[int, int, int, int]:
        rank, world_size, worker, num_workers = placement()
        rank = rank if self.rank is None else self.rank
        world_size = world_size if self.world_size is None else self.world_size
        return rank, world_size, worker, num_workers

    def __len__(self) -> int:
        rank, world_size, _, _ = self._where()
        length = rank_length(
            self.shards.counts,
            rank,
            world_size,
            self.num_workers,
            resampled=self.resampled,
            epoch_length=self.epoch_length,
            batch_size=self.batch_size,
            drop_last=self.drop_last,
        )
        if length is None:
            raise TypeError("length unknown: the shard source has no manifest")
        return length

    def worker_samples(self, rank: int, world_size: int, num_workers: int) -> list[int] | None:
        """Samples each worker of `rank` yields per epoch (None without a manifest)."""
        if self.resampled:
            return [resampled_quota(self.epoch_length, w, num_workers) for w in range(num_workers)]
        counts = self.shards.counts
        if counts is None:
            return None
        return [
            sum(rank_worker_slice(counts, rank, world_size, w, num_workers))
            for w in range(num_workers)
        ]

    def _resume_point(
        self, batches: int, rank: int, world_size: int, worker: int, num_workers: int
    ) -> tuple[int, int]:
        """(the worker whose stream this one continues, samples that stream already gave) for a
        loader resuming after `batches` batches of its epoch."""
        size = self.batch_size or 1
        if num_workers == 1 or batches == 0:
            return worker, batches * size
        per_worker = self.worker_samples(rank, world_size, num_workers)
        if per_worker is None:
            raise ValueError(
                "resuming mid-epoch with several workers needs the shards' sample counts: "
                "read the shard set through its manifest"
            )
        taken, upcoming = round_robin(
            batches, [num_batches(n, size, self.drop_last) for n in per_worker]
        )
        role = (worker + upcoming) % num_workers
        return role, min(taken[role] * size, per_worker[role])

    def _epoch_token(self) -> str:
        if self.epoch is None:
            self._iterations += 1
            return epoch_token(self._iterations)
        self.epoch += 1
        return str(self.epoch - 1)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rank, world_size, worker, num_workers = self._where()
        skip_batches, self.skip_batches = self.skip_batches, 0
        worker, given = self._resume_point(skip_batches, rank, world_size, worker, num_workers)
        rng = random.Random(f"{self.seed}/{rank}/{worker}/{self._epoch_token()}")
        entries = list(zip(self.shards.urls, self.shards.infos or [None] * len(self.shards.urls)))
        if self.resampled:
            shards = _resample(entries, rng)
        else:
            check_enough_shards(len(entries), world_size, num_workers)
            order = rank_worker_slice(entries, rank, world_size, worker, num_workers)
            if self.shuffle > 0:
                rng.shuffle(order)
            shards = iter(order)
        buffer = ShuffleBuffer(self.shuffle, rng)
        stop = resampled_quota(self.epoch_length, worker, num_workers) if self.resampled else None

        def read_rest(items: Iterable[tuple]) -> Iterator[dict[str, Any]]:
            return _read_shards(items, self, len(entries))

        if given and self.shards.infos is not None:
            read_one = functools.partial(_read_shard, dataset=self)
            source = fast_forward(shards, buffer, given, read_one, read_rest)
            stream = islice(buffer(source), None if stop is None else max(stop - given, 0))
        else:  # no sample counts: replay the stream and drop what was given
            stream = islice(buffer(read_rest((url, info, 0) for url, info in shards)), given, stop)
        if self.batch_size is None:
            stream = map(_as_sample, stream)
        else:
            stream = _batches(stream, self.batch_size, partial=not self.drop_last)
        if self.report_errors and torch.utils.data.get_worker_info() is not None:
            return _reporting(stream)
        return stream


def shard_dataset(
    source: Source,
    *,
    shuffle: int = 0,
    seed: int = 0,
    resampled: bool = False,
    epoch_length: int | None = None,
    verify: bool = True,
    on_corrupt: str = "raise",
    fields: Sequence[str] | None = None,
    batch_size: int | None = None,
    drop_last: bool = False,
    num_workers: int = 0,
    rank: int | None = None,
    world_size: int | None = None,
) -> ShardDataset:
    """Stream a shard set as dicts of tensors (or batches of them when `batch_size` is set).

    `source`: manifest.json, a directory holding one, a brace pattern, http(s):// URLs (a manifest
    URL gives lengths and checksums) or `pipe:` commands. Shards are split by rank then by
    DataLoader worker; fewer shards than ranks x workers is a ValueError, unless `resampled=True`,
    where each worker draws shards with replacement and a rank yields exactly `epoch_length`
    samples per epoch. `shuffle` > 0 shuffles each worker's shard order and a sample buffer of
    that size (yielding from 100 samples on), seeded by (`seed`, rank, worker, epoch). Members
    decode by extension through the decoder registry (`register_decoder`); chunked sets come
    back sample by sample. Wrap the dataset in a ShardLoader for exact resume and one-line
    worker errors. `verify` checks local shards' sha256
    against the manifest before reading them (once per worker while a file's size and mtime stay
    the same); http/pipe shards are hashed while streamed and a mismatch raises at the end of the
    shard, after its samples were yielded. `on_corrupt="warn"` skips a bad shard with a warning
    instead of raising CorruptShardError. `fields` limits decoding to those fields. `rank` and
    `world_size` default to torch.distributed's (or RANK/WORLD_SIZE); `num_workers` is the
    DataLoader's, used for `len()` and the shard-count check before iteration.
    """
    dataset = ShardDataset(
        resolve_source(source),
        shuffle=shuffle,
        seed=seed,
        resampled=resampled,
        epoch_length=epoch_length,
        verify=verify,
        on_corrupt=on_corrupt,
        fields=fields,
        batch_size=batch_size,
        drop_last=drop_last,
        num_workers=num_workers,
        rank=rank,
        world_size=world_size,
    )
    return dataset
