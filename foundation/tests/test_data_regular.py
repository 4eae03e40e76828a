"""Local plain shards are read as regular stretches (regular.py): the samples, batches and errors
must be exactly those of the member by member reader, which `pipe:cat` shards go through."""

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from data_helpers import set_folder

from polymath.foundation.data import CorruptShardError, shard_dataset, write_shards
from polymath.foundation.data.decoders import registered_decoders
from polymath.foundation.data.reader import _mapped, _member_reader
from polymath.foundation.data.regular import regular_stretch


def rich_samples(count: int, start: int = 0) -> list[dict]:
    return [
        {
            "x": np.arange(6, dtype=np.float32).reshape(2, 3) + index,
            "scalar": np.float64(index / 7),
            "label": index * (-1) ** index,
            "weight": index / 3,
            "flag": index % 3 == 0,
            "name": f"sample {index}" + "é" * (index % 4),
            "meta": {"index": index, "tags": ["a"] * (index % 3)},
            "blob.bin": bytes(range(1 + index % 7)),
        }
        for index in range(start, start + count)
    ]


def same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def both_ways(tar: Path, **options) -> tuple[list, list]:
    """What the mapped (regular) reader and the stream reader give for one shard."""
    mapped = list(shard_dataset(str(tar), **options))
    streamed = list(shard_dataset(f"pipe:cat {tar}", **options))
    return mapped, streamed


def write_tar(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def stretch_of(tar: Path):
    return regular_stretch(_mapped(str(tar)), _member_reader(None, registered_decoders()), True)


@pytest.mark.parametrize("batch_size", [None, 8])
def test_a_regular_shard_reads_as_the_member_by_member_reader_reads_it(tmp_path, batch_size):
    write_shards(rich_samples(40), tmp_path, max_count=40)
    tar = next(set_folder(tmp_path).glob("*.tar"))
    columns, samples, _ = stretch_of(tar)
    assert samples == 40 and len(columns["x"]) == 40  # the whole shard in one stretch
    mapped, streamed = both_ways(tar, batch_size=batch_size, shuffle=10, seed=1)
    assert len(mapped) == len(streamed) > 0
    assert all(same(a, b) for a, b in zip(mapped, streamed))


def test_an_irregular_end_is_read_member_by_member_and_batches_mix_both(tmp_path):
    samples = rich_samples(30)
    for sample in samples[25:]:  # larger arrays: the stretch ends at sample 25
        sample["x"] = np.zeros((3, 3), np.float32)
    write_shards(samples, tmp_path, max_count=30)
    tar = next(set_folder(tmp_path).glob("*.tar"))
    assert stretch_of(tar)[1] == 25
    mapped, streamed = both_ways(tar)
    assert all(same(a, b) for a, b in zip(mapped, streamed)) and len(mapped) == 30
    first, last = shard_dataset(str(tar), batch_size=25, shuffle=0, fields=["x", "label"])
    assert first["x"].shape == (25, 2, 3) and last["x"].shape == (5, 3, 3)
    mixed = next(iter(shard_dataset(str(tar), batch_size=30, shuffle=30, fields=["label"])))
    assert sorted(mixed["label"].tolist()) == sorted(s["label"] for s in samples)


def test_keys_of_several_lengths_and_repeated_keys_group_as_the_stream_reader_groups(tmp_path):
    names = ["a", "bb", "ccc", "d", "d", "eeeeeee", "f"]  # "d" twice: one sample of 4 members
    members = [
        (f"{key}.{field}", str(i).encode())
        for i, key in enumerate(names)
        for field in ("label.cls", "note.txt")
    ]
    tar = write_tar(tmp_path / "keys.tar", members)
    columns, samples, _ = stretch_of(tar)
    assert list(columns["__keys__"]) == ["a", "bb", "ccc"] and samples == 3
    mapped, streamed = both_ways(tar)
    assert [s["__key__"] for s in mapped] == ["a", "bb", "ccc", "d", "eeeeeee", "f"]
    assert all(same(a, b) for a, b in zip(mapped, streamed))


def test_a_bad_header_inside_a_stretch_is_named_after_the_samples_before_it(tmp_path):
    write_shards(rich_samples(20), tmp_path, max_count=20)
    tar = next(set_folder(tmp_path).glob("*.tar"))
    raw = bytearray(tar.read_bytes())
    stride = len(raw) // 20  # every sample of this set takes the same room
    raw[12 * stride + 130] ^= 1  # a size digit of sample 12's first header
    tar.write_bytes(bytes(raw))
    assert stretch_of(tar)[1] == 12
    for source in (str(tar), f"pipe:cat {tar}"):
        with pytest.raises(CorruptShardError, match=r"after 12 samples.*checksum"):
            list(shard_dataset(source, verify=False))


def test_a_member_that_fails_to_decode_ends_the_stretch_before_it(tmp_path):
    members = [(f"{i:03d}.label.cls", b"7" if i != 9 else b"x") for i in range(15)]
    tar = write_tar(tmp_path / "labels.tar", members)
    assert stretch_of(tar)[1] == 9
    for source in (str(tar), f"pipe:cat {tar}"):
        given = []
        with pytest.raises(CorruptShardError, match=r"after 9 samples.*invalid literal"):
            for sample in shard_dataset(source):
                given.append(sample["label"])
        assert given == [7] * 9


def test_a_chunked_set_and_names_with_a_prefix_are_not_stretches(tmp_path):
    chunkable = [{k: v for k, v in s.items() if k != "blob.bin"} for s in rich_samples(20)]
    write_shards(chunkable, tmp_path / "chunked", max_count=20, chunk_size=4)
    assert stretch_of(next(set_folder(tmp_path / "chunked").glob("*.tar"))) is None
    long_key = "k" * 120  # ustar stores it in the prefix field: no stretch, same samples
    members = [(f"{long_key}/{i}.label.cls", b"1") for i in range(5)]
    tar = write_tar(tmp_path / "prefix.tar", members)
    assert stretch_of(tar) is None
    mapped, streamed = both_ways(tar)
    assert len(mapped) == 5 and all(same(a, b) for a, b in zip(mapped, streamed))


def test_an_empty_shard_is_named_as_truncated(tmp_path):
    (tmp_path / "empty.tar").write_bytes(b"")
    with pytest.raises(CorruptShardError, match="empty.tar.*end-of-archive"):
        list(shard_dataset(str(tmp_path / "empty.tar")))
