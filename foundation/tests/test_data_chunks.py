"""The chunked layout: many samples per tar member, read back as the samples they hold."""

import numpy as np
import pytest
import torch
import webdataset as wds
from data_helpers import labels_of, vector_samples

from polymath.foundation.data import Manifest, shard_dataset, write_shards
from polymath.foundation.data.collate import batch_array, collate_field


def rich_samples(count):
    return [
        {
            "__key__": f"s{i:03d}",
            "x": np.arange(6, dtype=np.float32).reshape(2, 3) + i,
            "label": i,
            "weight": i / 4,
            "flag": i % 2 == 0,
            "name": f"n{i}",
            "meta": {"run": i},
        }
        for i in range(count)
    ]


def test_a_chunked_set_reads_back_the_samples_of_a_plain_one(tmp_path):
    samples = rich_samples(23)
    write_shards(samples, tmp_path / "plain", max_count=10)
    manifest = write_shards(samples, tmp_path / "chunked", max_count=10, chunk_size=4)
    assert [s.count for s in manifest.shards] == [10, 10, 3]  # chunks never cross shards
    plain, chunked = (
        list(shard_dataset(tmp_path / "plain")),
        list(shard_dataset(tmp_path / "chunked")),
    )
    assert len(chunked) == 23 and [s["__key__"] for s in chunked] == [s["__key__"] for s in plain]
    for a, b in zip(plain, chunked):
        assert torch.equal(a["x"], b["x"])
        assert {k: v for k, v in a.items() if k != "x"} == {k: v for k, v in b.items() if k != "x"}
        assert all(type(a[k]) is type(b[k]) for k in a)
    chunked[0]["x"].add_(1)  # samples own their arrays
    assert torch.equal(next(iter(shard_dataset(tmp_path / "chunked")))["x"], plain[0]["x"])


def test_batches_of_a_chunked_set_gather_rows_from_several_chunks(tmp_path):
    write_shards(vector_samples(300), tmp_path, max_count=100, chunk_size=16)
    batches = list(shard_dataset(tmp_path, shuffle=50, seed=2, batch_size=32))
    labels = torch.cat([batch["label"] for batch in batches])
    assert sorted(labels.tolist()) == list(range(300)) and labels.tolist() != list(range(300))
    for batch in batches:
        assert torch.equal(batch["x"], batch["label"][:, None].float().expand(-1, 4))
        assert batch["__key__"] == [f"{label:09d}" for label in batch["label"].tolist()]
        batch["x"].add_(1)  # writable


def test_a_chunked_shard_is_a_valid_webdataset_tar(tmp_path):
    manifest = write_shards(vector_samples(10), tmp_path, chunk_size=4)
    url = str(tmp_path / manifest.shards[0].name)
    chunks = list(wds.WebDataset(url, shardshuffle=False).decode())
    assert [c["x.npy"].shape for c in chunks] == [(4, 4), (4, 4), (2, 4)]
    assert chunks[2]["label.json"] == [8, 9]


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        ([{"x": np.zeros(2)}, {"x": np.zeros(3)}], "one shape and dtype"),
        ([{"blob.bin": b"12"}], "bytes cannot be chunked"),
    ],
)
def test_what_cannot_be_chunked_is_named(tmp_path, samples, message):
    with pytest.raises((TypeError, ValueError), match=message):
        write_shards(samples, tmp_path, chunk_size=4)
    assert list(tmp_path.iterdir()) == []


def test_a_chunked_set_counts_samples_in_its_manifest(tmp_path):
    write_shards(vector_samples(9), tmp_path, max_count=4, chunk_size=3)
    assert [s.count for s in Manifest.load(tmp_path).shards] == [4, 4, 1]  # chunks 3+1, 3+1, 1
    assert len(shard_dataset(tmp_path)) == 9 and sorted(labels_of(shard_dataset(tmp_path))) == list(
        range(9)
    )


def test_batches_made_in_a_worker_are_in_shared_memory(monkeypatch):
    tensor, array = batch_array((4, 3), np.dtype(np.float32))
    assert not tensor.is_shared()
    monkeypatch.setattr(torch.utils.data, "get_worker_info", lambda: object())
    tensor, array = batch_array((4, 3), np.dtype(np.float32))
    array[:] = 2  # the numpy view fills the tensor
    assert tensor.is_shared() and tensor.shape == (4, 3) and tensor.sum().item() == 24


@pytest.mark.parametrize(
    ("values", "dtype"), [([1, -2, 3], torch.int64), ([0.5, 1.5], torch.get_default_dtype())]
)
def test_numbers_collate_through_numpy_to_torch_types(values, dtype):
    batch = collate_field(values)
    assert batch.dtype == dtype and batch.tolist() == values


@pytest.mark.parametrize("values", [[1, None], [1.0, "2"], [1, "2"]])
def test_numbers_mixed_with_other_values_are_refused_as_torch_refuses_them(values):
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        collate_field(values)
