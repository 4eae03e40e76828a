import hashlib
import json
import tarfile

import numpy as np
import pytest
import torch
from data_helpers import labels_of, set_folder, snapshot, vector_samples, write_vector_shards

from polymath.foundation.data import Manifest, shard_dataset, write_shards


def roundtrip(samples, tmp_path, **kwargs):
    write_shards(samples, tmp_path / "set", **kwargs)
    return list(shard_dataset(tmp_path / "set"))


@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "int8", "int64", "uint8", "bool", "float16"]
)
def test_numpy_arrays_round_trip_as_tensors(tmp_path, dtype):
    arrays = [np.arange(6).reshape(2, 3).astype(dtype) + i for i in range(3)]
    (first, *_) = roundtrip([{"a": a} for a in arrays], tmp_path)
    assert isinstance(first["a"], torch.Tensor)
    assert first["a"].dtype == torch.from_numpy(arrays[0]).dtype
    assert np.array_equal(first["a"].numpy(), arrays[0])


def test_tensors_scalars_strings_and_metadata_round_trip(tmp_path):
    samples = [
        {
            "t": torch.arange(4, dtype=torch.int32).reshape(2, 2) * i,
            "i": -i,
            "f": i / 3,
            "b": i % 2 == 0,
            "s": f"naïve {i}",
            "meta": {"run": i, "tags": ["a", "b"], "nested": {"ok": True}},
            "scalar": np.float64(i + 0.5),
        }
        for i in range(5)
    ]
    decoded = roundtrip(samples, tmp_path)
    for original, back in zip(samples, decoded):
        assert torch.equal(back["t"], original["t"])
        assert back["i"] == original["i"] and type(back["i"]) is int
        assert back["f"] == original["f"] and type(back["f"]) is float
        assert back["b"] is original["b"]
        assert back["s"] == original["s"]
        assert back["meta"] == original["meta"]
        assert back["scalar"].dtype == torch.float64 and back["scalar"].item() == original["scalar"]


def test_keys_are_generated_or_kept(tmp_path):
    decoded = roundtrip([{"__key__": "alpha", "v": 1}, {"v": 2}], tmp_path)
    assert [s["__key__"] for s in decoded] == ["alpha", "000000001"]


def test_max_count_limits_samples_per_shard(tmp_path):
    manifest = write_vector_shards(tmp_path, count=10, per_shard=4)
    assert [s.count for s in manifest.shards] == [4, 4, 2]
    folder = set_folder(tmp_path).name
    assert [s.name for s in manifest.shards] == [f"{folder}/shard-00000{i}.tar" for i in range(3)]


def test_max_bytes_limits_shard_size(tmp_path):
    samples = [{"x": np.zeros(1000, dtype=np.float32)} for _ in range(40)]  # ~4.6 KB each in tar
    manifest = write_shards(samples, tmp_path, max_bytes=30_000)
    assert len(manifest.shards) > 1
    assert all((tmp_path / s.name).stat().st_size <= 30_000 for s in manifest.shards)
    assert sum(s.count for s in manifest.shards) == 40


def test_manifest_records_counts_bytes_sha256_and_schema(tmp_path):
    manifest = write_vector_shards(tmp_path, count=6, per_shard=4)
    saved = json.loads((tmp_path / "manifest.json").read_text())
    assert saved["total"] == 6 and Manifest.load(tmp_path) == manifest
    for shard in saved["shards"]:
        data = (tmp_path / shard["name"]).read_bytes()
        assert shard["bytes"] == len(data)
        assert shard["sha256"] == hashlib.sha256(data).hexdigest()
        with tarfile.open(tmp_path / shard["name"]) as archive:
            assert len(archive.getnames()) == 2 * shard["count"]
    assert saved["schema"] == {
        "x": {"kind": "array", "dtype": "float32", "shape": [4]},
        "label": {"kind": "int"},
    }


def test_schema_marks_varying_dimensions(tmp_path):
    samples = [{"seq": np.zeros((n, 3), dtype=np.float32)} for n in (2, 5)]
    assert write_shards(samples, tmp_path).schema["seq"]["shape"] == [None, 3]


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        ([{"x": 1}, {"x": "one"}], "field 'x'"),
        ([{"x": 1}, {"y": 1}], "has fields"),
        ([{"__key__": "a.b", "x": 1}], "__key__"),
        ([{"__key__": "a", "x": 1}, {"__key__": "a", "x": 2}], "duplicate __key__"),
        ([{"_private": 1}], "field name"),
        ([{"x": object()}], "cannot store"),
        ([{"x.npy": b"", "x": 1}], "reads back as 'x'"),
        ([], "no samples"),
    ],
)
def test_bad_samples_are_refused_and_leave_nothing(tmp_path, samples, message):
    with pytest.raises((ValueError, TypeError), match=message):
        write_shards(samples, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_existing_set_is_refused_without_overwrite(tmp_path):
    write_vector_shards(tmp_path, count=4)
    before = snapshot(tmp_path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_vector_shards(tmp_path, count=8)
    assert snapshot(tmp_path) == before


def test_overwrite_replaces_the_set_and_drops_the_old_one(tmp_path):
    write_vector_shards(tmp_path, count=12, per_shard=4)
    manifest = write_shards(vector_samples(3, start=100), tmp_path, max_count=4, overwrite=True)
    folder = set_folder(tmp_path).name
    assert sorted(snapshot(tmp_path)) == [
        "manifest.json",
        f"{folder}/manifest.json",
        f"{folder}/shard-000000.tar",
    ]
    assert manifest.total == 3 and Manifest.load(tmp_path) == manifest
    assert [int(s["label"]) for s in shard_dataset(tmp_path)] == [100, 101, 102]


def test_a_set_folder_reads_alone_with_its_own_manifest(tmp_path):
    write_vector_shards(tmp_path / "data", count=8, per_shard=4)
    folder = set_folder(tmp_path / "data")
    moved = folder.rename(tmp_path / "elsewhere")
    assert len(shard_dataset(f"{moved}/shard-{{000000..000001}}.tar")) == 8
    assert sorted(labels_of(shard_dataset(moved))) == list(range(8))


def test_a_set_written_by_foundation_0_1_is_replaced(tmp_path):
    write_vector_shards(tmp_path, count=8, per_shard=4)
    folder = set_folder(tmp_path)
    for shard in folder.glob("*.tar"):  # the flat 0.1 layout: shards beside manifest.json
        shard.rename(tmp_path / shard.name)
    (folder / "manifest.json").replace(tmp_path / "manifest.json")
    folder.rmdir()
    assert sorted(labels_of(shard_dataset(tmp_path))) == list(range(8))
    write_shards(vector_samples(2, start=50), tmp_path, overwrite=True)
    assert not list(tmp_path.glob("*.tar"))
    assert labels_of(shard_dataset(tmp_path)) == [50, 51]


def test_files_of_others_in_the_folder_are_left_alone(tmp_path):
    (tmp_path / "shard-000000.tar").write_bytes(b"someone else's data")
    write_vector_shards(tmp_path, count=2)
    assert (tmp_path / "shard-000000.tar").read_bytes() == b"someone else's data"
    assert labels_of(shard_dataset(tmp_path)) == [0, 1]


def test_bytes_are_stored_under_their_extension(tmp_path):
    samples = [{"blob.bin": bytes([i, 1, 2]), "label": i} for i in range(3)]
    manifest = write_shards(samples, tmp_path)
    assert manifest.schema["blob"] == {"kind": "bytes", "extension": "bin"}
    assert [s["blob"] for s in shard_dataset(tmp_path)] == [bytes([i, 1, 2]) for i in range(3)]
    with pytest.raises(ValueError, match="ending in their extension"):
        write_shards([{"blob": b"x"}], tmp_path / "other")
