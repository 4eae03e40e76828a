"""A writer that dies half-way leaves no shard or manifest that looks complete, and an existing
shard set untouched."""

import importlib.util
import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from data_helpers import labels_of, set_folder, snapshot, vector_samples, write_vector_shards

from polymath.foundation.data import shard_dataset, write_shards
from polymath.foundation.data.shardset import write_lock


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


def test_sigkilled_writer_leaves_old_set_and_the_next_write_cleans_up(tmp_path):
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
    leftovers = {path.split("/")[0] for path in snapshot(tmp_path)} - {
        path.split("/")[0] for path in before
    }
    assert len(leftovers) == 1 and all(
        n.startswith(".") and n.endswith(".partial") for n in leftovers
    )
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert sorted(labels_of(shard_dataset(tmp_path))) == list(range(8))
    write_shards(vector_samples(3), tmp_path, overwrite=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "manifest.json",
        set_folder(tmp_path).name,
    ]


def overwrite(dest, start):
    write_shards(vector_samples(120, start=start), dest, max_count=8, overwrite=True)


def test_a_kill_at_any_moment_of_an_overwrite_leaves_a_complete_set(tmp_path):
    """SIGKILL at random moments over a whole overwrite: each time the set that the manifest
    lists is complete (every shard's sha256 checked) and is the old set or the new one."""
    write_shards(vector_samples(120), tmp_path, max_count=8)
    context = multiprocessing.get_context("fork")
    began = time.perf_counter()
    full = context.Process(target=overwrite, args=(tmp_path, 0))
    full.start()
    full.join()
    duration = time.perf_counter() - began
    rng = random.Random(0)
    current, outcomes = list(range(120)), set()
    for trial in range(1, 13):
        new = list(range(1000 * trial, 1000 * trial + 120))
        writer = context.Process(target=overwrite, args=(tmp_path, new[0]))
        writer.start()
        time.sleep(rng.uniform(0, 1.2 * duration))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
        labels = sorted(labels_of(shard_dataset(tmp_path)))
        assert labels in (current, new)
        outcomes.add("new" if labels == new else "old")
        current = labels
    assert outcomes == {"old", "new"}  # the kills landed before and after the switch


def test_the_corruption_drill_names_every_damage_and_survives_every_kill(capsys):
    """A fast run of drills/corruption.py: each of its nine kinds of damage once, three kills."""
    path = Path(__file__).parents[1] / "drills" / "corruption.py"
    spec = importlib.util.spec_from_file_location("corruption_drill", path)
    drill = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drill)
    assert drill.main(["--corruptions", "9", "--kills", "3", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "corruptions: 9 of 9 named" in printed and "kills: 3 of 3 left" in printed


def test_a_second_writer_to_the_same_folder_is_refused(tmp_path):
    write_vector_shards(tmp_path, count=4)
    with write_lock(tmp_path), pytest.raises(BlockingIOError, match=f"writing to {tmp_path}"):
        write_vector_shards(tmp_path, count=4, overwrite=True)
    assert sorted(labels_of(shard_dataset(tmp_path))) == list(range(4))


def test_the_clean_up_removes_only_what_writers_leave(tmp_path):
    write_vector_shards(tmp_path, count=4)
    ours = [
        ".set-20261129T010203-a1b2c3.partial",  # a set folder being written
        "set-20261129T010203-d4e5f6",  # a complete set that no manifest lists
    ]
    for name in ours:
        (tmp_path / name).mkdir()
        (tmp_path / name / "shard-000000.tar").write_bytes(b"half")
    (tmp_path / ".shard-000000.tar.1234-0a1b2c3d.partial").write_bytes(b"half")  # foundation 0.1
    theirs = ["set-aside", ".notes.partial", "set-20261129T010203-d4e5f6.tar"]
    for name in theirs:
        (tmp_path / name).write_bytes(b"keep me")
    write_vector_shards(tmp_path, count=2, overwrite=True)
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted(["manifest.json", set_folder(tmp_path).name, *theirs])
