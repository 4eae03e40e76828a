import hashlib
import json
import tarfile

import numpy as np
import pytest
import torch
from data_helpers import snapshot, vector_samples, write_vector_shards

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
    assert [s.name for s in manifest.shards] == [f"shard-00000{i}.tar" for i in range(3)]


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


def test_overwrite_replaces_the_set_and_drops_stale_shards(tmp_path):
    write_vector_shards(tmp_path, count=12, per_shard=4)
    manifest = write_shards(vector_samples(3, start=100), tmp_path, max_count=4, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "shard-000000.tar"]
    assert manifest.total == 3
    assert [int(s["label"]) for s in shard_dataset(tmp_path)] == [100, 101, 102]


def test_foreign_shard_names_are_not_overwritten(tmp_path):
    (tmp_path / "shard-000000.tar").write_bytes(b"someone else's data")
    with pytest.raises(FileExistsError, match="not ours"):
        write_vector_shards(tmp_path, count=2)
    assert snapshot(tmp_path) == {"shard-000000.tar": b"someone else's data"}
