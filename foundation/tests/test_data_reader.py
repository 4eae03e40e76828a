import gzip
import io
import json
import random
import tarfile
import warnings

import numpy as np
import pytest
import torch
from data_helpers import change_a_value, labels_of, set_folder, write_vector_shards
from torch.utils.data import DataLoader

from polymath.foundation.data import (
    CorruptShardError,
    ShardChecksumError,
    ShardDataModule,
    shard_dataset,
    tarstream,
    worker_seed,
    write_shards,
    writer,
)
from polymath.foundation.data.shuffle import ShuffleBuffer
from polymath.foundation.data.tarstream import tar_members


@pytest.fixture
def shards(tmp_path):
    write_vector_shards(tmp_path, count=16, per_shard=4)
    return tmp_path


def damage(path, offset=1540, data=b"garbage!" * 8):
    """Overwrite bytes; the default hits the first sample's .npy header."""
    raw = bytearray(path.read_bytes())
    raw[offset : offset + len(data)] = data
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    "source",
    ["dir", "manifest", "pattern", "list", "pipe"],
)
def test_every_source_form_yields_the_whole_set(shards, source):
    pattern = f"{set_folder(shards)}/shard-{{000000..000003}}.tar"
    sources = {
        "dir": shards,
        "manifest": shards / "manifest.json",
        "pattern": pattern,
        "list": [set_folder(shards) / f"shard-00000{i}.tar" for i in range(4)],
        "pipe": f"pipe:cat {pattern}",
    }
    dataset = shard_dataset(sources[source])
    samples = list(dataset)
    assert sorted(labels_of(samples)) == list(range(16))
    assert all(
        torch.equal(s["x"], torch.full((4,), s["label"], dtype=torch.float32)) for s in samples
    )
    if source != "pipe":
        assert len(dataset) == 16


def test_pipe_source_has_no_length(shards):
    with pytest.raises(TypeError, match="no manifest"):
        len(shard_dataset(f"pipe:cat {set_folder(shards)}/shard-000000.tar"))


def test_missing_shard_is_named(shards):
    with pytest.raises(FileNotFoundError, match=r"shard-000004.tar does not exist \(6 missing\)"):
        shard_dataset(f"{set_folder(shards)}/shard-{{000003..000009}}.tar")


def test_shuffle_is_seeded_and_changes_per_epoch(shards):
    first = labels_of(shard_dataset(shards, shuffle=8, seed=1))
    again = labels_of(shard_dataset(shards, shuffle=8, seed=1))
    dataset = shard_dataset(shards, shuffle=8, seed=1)
    epochs = [labels_of(dataset) for _ in range(2)]
    assert first == again and first != list(range(16)) and sorted(first) == list(range(16))
    assert epochs[0] == first and epochs[1] != epochs[0]


def test_only_requested_fields_are_decoded(shards):
    sample = next(iter(shard_dataset(shards, fields=["label"])))
    assert set(sample) == {"__key__", "label"}


def test_in_pipeline_batching_collates_tensors(shards):
    dataset = shard_dataset(shards, batch_size=3)
    batches = list(dataset)
    assert len(dataset) == len(batches) == 6
    assert batches[0]["x"].shape == (3, 4) and batches[0]["label"].dtype == torch.int64


def test_corrupt_shard_error_names_it(shards):
    damage(set_folder(shards) / "shard-000002.tar")
    with pytest.raises(CorruptShardError, match="shard-000002.tar"):
        list(shard_dataset(f"{set_folder(shards)}/shard-{{000000..000003}}.tar", verify=False))


@pytest.mark.parametrize(("cut", "message"), [(1536, "inside a member"), (2048, "end-of-archive")])
def test_truncated_shard_error_names_it(shards, cut, message):
    path = set_folder(shards) / "shard-000001.tar"
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(CorruptShardError, match=f"shard-000001.tar.*{message}"):
        list(shard_dataset(shards, verify=False))


def test_corrupt_shard_is_skipped_with_a_warning_when_asked(shards):
    damage(set_folder(shards) / "shard-000002.tar", offset=0)
    with pytest.warns(UserWarning, match="shard-000002.tar"):
        labels = labels_of(shard_dataset(shards, verify=False, on_corrupt="warn"))
    assert sorted(labels) == [*range(8), *range(12, 16)]


def test_checksum_mismatch_is_caught_before_reading(shards):
    change_a_value(set_folder(shards) / "shard-000003.tar")
    dataset = shard_dataset(shards)
    with pytest.raises(ShardChecksumError, match="shard-000003.tar"):
        list(dataset)
    assert sorted(labels_of(shard_dataset(shards, verify=False))) == list(range(16))


def test_a_shard_changed_between_epochs_is_hashed_again(shards):
    dataset = shard_dataset(shards)
    assert len(list(dataset)) == 16
    change_a_value(set_folder(shards) / "shard-000003.tar")
    with pytest.raises(ShardChecksumError, match="shard-000003.tar"):
        list(dataset)


def test_too_few_shards_for_workers_is_a_clear_error(shards):
    with pytest.raises(ValueError, match=r"4 shards cannot feed 2 ranks x 3 workers = 6"):
        shard_dataset(shards, world_size=2, rank=0, num_workers=3)


def test_too_few_shards_is_caught_inside_workers_too(shards, monkeypatch):
    dataset = shard_dataset(
        f"{set_folder(shards)}/shard-000000.tar"
    )  # declared num_workers=0: passes
    monkeypatch.setenv("WORKER", "1")  # what webdataset reads inside DataLoader worker 1 of 2
    monkeypatch.setenv("NUM_WORKERS", "2")
    with pytest.raises(ValueError, match="1 shards cannot feed 1 ranks x 2 workers"):
        next(iter(dataset))


def test_ranks_read_disjoint_shards_that_cover_the_set(shards):
    per_rank = [labels_of(shard_dataset(shards, rank=r, world_size=2)) for r in range(2)]
    assert set(per_rank[0]).isdisjoint(per_rank[1])
    assert sorted(per_rank[0] + per_rank[1]) == list(range(16))
    assert len(shard_dataset(shards, rank=1, world_size=2)) == 8


def test_workers_read_disjoint_samples_that_cover_the_set(shards):
    loader = DataLoader(shard_dataset(shards, shuffle=4), batch_size=None, num_workers=2)
    labels = labels_of(loader)
    assert len(labels) == 16 and sorted(labels) == list(range(16))


def test_resampled_mode_yields_exactly_epoch_length(shards):
    dataset = shard_dataset(shards, resampled=True, epoch_length=11, num_workers=2)
    labels = labels_of(DataLoader(dataset, batch_size=None, num_workers=2))
    assert len(labels) == len(dataset) == 11
    few = shard_dataset(
        f"{set_folder(shards)}/shard-000000.tar", resampled=True, epoch_length=5, world_size=4
    )
    assert len(list(few)) == 5


def test_resampled_needs_epoch_length(shards):
    with pytest.raises(ValueError, match="epoch_length"):
        shard_dataset(shards, resampled=True)


def test_worker_seed_differs_per_worker_and_rank(monkeypatch):
    class Seeds(torch.utils.data.IterableDataset):
        def __iter__(self):
            yield worker_seed(7)

    seeds = list(DataLoader(Seeds(), batch_size=None, num_workers=2))
    assert len(set(seeds)) == 2
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert worker_seed(7) != worker_seed(8) and worker_seed(7) not in seeds
    with pytest.raises(ValueError, match="base_seed"):
        worker_seed(-1)


def tar_bytes(fmt, names):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        folder = tarfile.TarInfo("somedir")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)  # a non-file member is skipped
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = len(name)
            archive.addfile(info, io.BytesIO(name.encode()))
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_tar_reader_understands_other_writers(fmt):
    names = ["a/key1.txt", "d/" * 60 + "long.json"]
    if fmt == tarfile.USTAR_FORMAT:
        names[1] = "d/" * 60 + "x.json"  # ustar splits it into prefix and name
    members = list(tar_members(io.BytesIO(tar_bytes(fmt, names))))
    assert members == [(name, name.encode()) for name in names]


def test_tar_reader_rejects_a_damaged_header():
    raw = bytearray(tar_bytes(tarfile.USTAR_FORMAT, ["k.txt"]))
    raw[512 + 10] ^= 1
    with pytest.raises(ValueError, match="checksum"), warnings.catch_warnings():
        list(tar_members(io.BytesIO(bytes(raw))))


def test_numpy_views_are_not_shared_between_samples(shards):
    first, second = list(shard_dataset(shards))[:2]
    first["x"].add_(100)
    assert np.all(second["x"].numpy() == 1)


def test_batches_stack_arrays_of_any_dtype_and_keep_ragged_ones_as_lists(tmp_path):
    samples = [
        {
            "f16": np.full((2, 3), i, dtype=np.float16),
            "flags": np.array([i % 2 == 0, True]),
            "empty": np.zeros((0, 2), dtype=np.int32),
            "ragged": np.arange(i + 1, dtype=np.int64),
            "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3) * i),
        }
        for i in range(3)
    ]
    write_shards(samples, tmp_path)
    (batch,) = list(shard_dataset(tmp_path, batch_size=3))
    assert torch.equal(batch["f16"], torch.from_numpy(np.stack([s["f16"] for s in samples])))
    assert torch.equal(batch["flags"], torch.from_numpy(np.stack([s["flags"] for s in samples])))
    assert batch["empty"].shape == (3, 0, 2)
    assert [r.tolist() for r in batch["ragged"]] == [[0], [0, 1], [0, 1, 2]]
    assert torch.equal(
        batch["fortran"], torch.from_numpy(np.stack([s["fortran"] for s in samples]))
    )
    batch["f16"].add_(1)  # batches are writable


def test_the_shuffle_buffer_starts_before_it_is_full_and_grows_to_its_size():
    buffer = ShuffleBuffer(1000, random.Random(0))
    stream = buffer(iter(range(5000)))
    first = next(stream)
    assert buffer.pulled == 100 and first < 100  # webdataset's `initial`
    sizes = []
    for _ in range(3000):
        next(stream)
        sizes.append(len(buffer.items))
    rest = list(stream)
    assert max(sizes) == 1000
    assert len(rest) == 5000 - 3001


def test_a_shuffled_epoch_holds_every_sample_once(shards):
    labels = labels_of(shard_dataset(shards, shuffle=1000))
    assert sorted(labels) == list(range(16)) and labels != list(range(16))


def test_a_compressed_shard_is_named_as_such(shards, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gz")
    raw = (set_folder(shards) / "shard-000000.tar").read_bytes()
    (folder / "shard.tar").write_bytes(gzip.compress(raw))
    with pytest.raises(CorruptShardError, match=r"shard.tar: gzip-compressed: only uncompressed"):
        list(shard_dataset(f"{folder}/shard.tar"))


def test_a_member_over_the_size_limit_is_an_error_not_a_misparse(shards, monkeypatch):
    monkeypatch.setattr(tarstream, "MAX_MEMBER_BYTES", 100)
    with pytest.raises(CorruptShardError, match=r"holds 144 bytes, over the reader's limit of 100"):
        list(shard_dataset(shards))
    monkeypatch.setattr(writer, "MAX_MEMBER_BYTES", 100)
    with pytest.raises(ValueError, match="exceed the reader's limit of 100 per member"):
        write_shards([{"x": np.zeros(100)}], shards / "big")


def test_a_worker_error_arrives_as_one_line_naming_the_shard(shards):
    change_a_value(set_folder(shards) / "shard-000003.tar")
    loader = ShardDataModule(shards, batch_size=2, num_workers=2).train_dataloader()
    with pytest.raises(ShardChecksumError) as caught:
        list(loader)
    message = str(caught.value)
    assert "\n" not in message and "shard-000003.tar: sha256" in message


def test_an_unreadable_manifest_is_named(shards):
    (shards / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"manifest.json: unreadable shard manifest"):
        shard_dataset(shards)


def test_a_manifest_cannot_point_outside_its_folder(shards):
    manifest = json.loads((shards / "manifest.json").read_text())
    manifest["shards"][0]["name"] = "../elsewhere.tar"
    (shards / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="leaves the set's folder"):
        shard_dataset(shards)
