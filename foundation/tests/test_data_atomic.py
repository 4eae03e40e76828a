"""A writer that dies half-way leaves no shard or manifest that looks complete, and an existing
shard set untouched."""

import multiprocessing
import os
import signal
import time

import numpy as np
import pytest
from data_helpers import labels_of, snapshot, vector_samples, write_vector_shards

from polymath.foundation.data import shard_dataset, write_shards


def failing_after(count):
    yield from vector_samples(count)
    raise RuntimeError("source died")


def test_iterator_failure_leaves_no_files(tmp_path):
    with pytest.raises(RuntimeError, match="source died"):
        write_shards(failing_after(10), tmp_path, max_count=3)
    assert list(tmp_path.iterdir()) == []


def test_iterator_failure_during_overwrite_keeps_old_set(tmp_path):
    write_vector_shards(tmp_path, count=8, per_shard=4)
    before = snapshot(tmp_path)
    with pytest.raises(RuntimeError, match="source died"):
        write_shards(failing_after(10), tmp_path, max_count=3, overwrite=True)
    assert snapshot(tmp_path) == before
    assert sorted(labels_of(shard_dataset(tmp_path))) == list(range(8))


def slow_writer(dest, started):
    """Writes one full shard, starts a second, then hangs until killed."""

    def samples():
        for index in range(10_000):
            if index == 6:
                started.set()
                time.sleep(60)
            yield {"x": np.full(4, index, dtype=np.float32), "label": index}

    write_shards(samples(), dest, max_count=4, overwrite=True)


def test_sigkilled_writer_leaves_old_set_and_no_complete_looking_files(tmp_path):
    write_vector_shards(tmp_path, count=8, per_shard=4)
    before = snapshot(tmp_path)
    context = multiprocessing.get_context("fork")
    started = context.Event()
    writer = context.Process(target=slow_writer, args=(tmp_path, started))
    writer.start()
    try:
        assert started.wait(timeout=30)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
    assert writer.exitcode == -signal.SIGKILL
    leftovers = {p.name for p in tmp_path.iterdir()} - set(before)
    assert leftovers and all(n.startswith(".") and n.endswith(".partial") for n in leftovers)
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert sorted(labels_of(shard_dataset(tmp_path))) == list(range(8))
