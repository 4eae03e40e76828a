import multiprocessing

import numpy as np
import pytest
import torch

from polymath.counting_transformers.data import IGNORE, VOCAB, collate, generate, sample_dicts
from polymath.counting_transformers.datamodule import CountingDataModule, CountingStream


def brute_force(tokens: list[int]) -> list[int]:
    """Counts by walking the sequence token by token."""
    counts, inside = [], False
    for token in tokens:
        if token == VOCAB["["]:
            counts.append(0)
            inside = True
        elif token == VOCAB["]"]:
            inside = False
        elif token == VOCAB["1"] and inside:
            counts[-1] += 1
    return counts


@pytest.mark.parametrize("region_length", [None, (0, 5)])
def test_counts_match_brute_force(region_length):
    samples = generate(300, length=(40, 60), regions=(1, 5), seed=3, region_length=region_length)
    for i in range(300):
        tokens = samples.tokens[i, : samples.lengths[i]].tolist()
        regions = int(samples.num_regions[i])
        assert tokens[0] == VOCAB["BOS"]
        assert VOCAB["BOS"] not in tokens[1:] and VOCAB["PAD"] not in tokens
        assert brute_force(tokens) == samples.counts[i, :regions].tolist()
        assert (samples.tokens[i, samples.lengths[i] :] == VOCAB["PAD"]).all()
        assert (samples.counts[i, regions:] == IGNORE).all()


def test_spans_never_overlap_and_sit_on_delimiters():
    samples = generate(500, length=50, regions=(1, 6), seed=4)
    for i in range(500):
        regions = int(samples.num_regions[i])
        spans = samples.spans[i, :regions]
        assert (spans[:, 0] < spans[:, 1]).all()
        assert (spans[1:, 0] > spans[:-1, 1]).all()
        assert (samples.tokens[i, spans[:, 0]] == VOCAB["["]).all()
        assert (samples.tokens[i, spans[:, 1]] == VOCAB["]"]).all()
        delimiters = samples.tokens[i] == VOCAB["["]
        assert int(delimiters.sum()) == regions


def test_empty_regions_and_distractors_occur():
    samples = generate(200, length=64, regions=4, seed=5)
    inner = samples.spans[..., 1] - samples.spans[..., 0] - 1
    assert (inner == 0).any()
    ones = (samples.tokens == VOCAB["1"]).sum(1)
    assert (ones > samples.counts.sum(1)).any()  # some 1s lie outside every region


def test_fixed_region_lengths_are_respected():
    samples = generate(200, length=64, regions=4, seed=6, region_length=(2, 3))
    inner = samples.spans[..., 1] - samples.spans[..., 0] - 1
    assert set(inner.unique().tolist()) == {2, 3}


def test_same_seed_same_samples_and_other_seed_differs():
    a, b = (generate(20, length=32, regions=3, seed=7) for _ in range(2))
    c = generate(20, length=32, regions=3, seed=8)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.counts, b.counts)
    assert not torch.equal(a.tokens, c.tokens)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length": 8, "regions": 4}, "cannot fit"),
        ({"length": 64, "regions": 0}, "at least one region"),
        ({"length": 64, "regions": 4, "max_count": 10}, "below the largest count"),
        ({"length": 64, "regions": 4, "region_length": (5, 20)}, "cannot fit"),
        ({"length": 64, "regions": 4, "density": (0.5, 1.5)}, "density"),
        ({"length": (64, 32), "regions": 4}, "low end is above"),
    ],
)
def test_impossible_parameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(4, seed=0, **kwargs)


def test_datamodule_rejects_grid_that_exceeds_max_count(tmp_path):
    with pytest.raises(ValueError, match="below the largest count"):
        CountingDataModule(length=32, regions=2, max_count=29, ood_lengths=[64], ood_regions=[2])


def test_collate_pads_variable_lengths():
    samples = generate(6, length=(10, 20), regions=(1, 3), seed=9)
    batch = collate(list(sample_dicts(samples)), name="x")
    assert batch["name"] == "x"
    assert torch.equal(batch["tokens"], samples.tokens[:, : batch["tokens"].shape[1]])
    assert torch.equal(batch["counts"], samples.counts[:, : batch["counts"].shape[1]])
    assert torch.equal(batch["query_mask"], batch["counts"] != IGNORE)


def test_stream_differs_between_ranks(monkeypatch):
    firsts = []
    for rank in (0, 1):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        firsts.append(next(iter(CountingStream(8, seed=1, length=32, regions=3)))["tokens"])
    assert not torch.equal(*firsts)


def test_stream_draws_fresh_samples_each_step():
    stream = iter(CountingStream(8, seed=1, length=32, regions=3))
    assert not torch.equal(next(stream)["tokens"], next(stream)["tokens"])


def test_stream_resumes_after_the_last_batch_drawn():
    stream = CountingStream(8, seed=1, length=32, regions=3)
    batches = iter(stream)
    for _ in range(3):
        next(batches)
    position = stream.state_dict()
    fourth = next(batches)["tokens"]
    resumed = CountingStream(8, seed=1, length=32, regions=3)
    resumed.load_state_dict(position)
    assert torch.equal(next(iter(resumed))["tokens"], fourth)
    fresh = CountingStream(8, seed=1, length=32, regions=3)
    fresh.load_state_dict(CountingStream(8, seed=1, length=32, regions=3).state_dict())
    assert not torch.equal(next(iter(fresh))["tokens"], fourth)  # never drawn: from the start


def _prepare(data_dir, start):
    start.wait()
    CountingDataModule(length=16, regions=2, eval_size=64, data_dir=str(data_dir)).prepare_data()


def test_runs_started_together_share_the_evaluation_sets(tmp_path):
    fork = multiprocessing.get_context("fork")
    start = fork.Barrier(3)
    runs = [fork.Process(target=_prepare, args=(tmp_path, start)) for _ in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=120)
    assert [run.exitcode for run in runs] == [0, 0, 0]
    assert len(list(tmp_path.glob("*/manifest.json"))) == 1


def test_eval_sets_round_trip_through_shards(tmp_path):
    datamodule = CountingDataModule(
        length=24,
        regions=2,
        eval_size=10,
        batch_size=4,
        ood_lengths=[16, 32],
        ood_regions=[1],
        data_dir=str(tmp_path),
    )
    datamodule.prepare_data()
    loaders = datamodule.test_dataloader()
    assert len(loaders) == 3
    names, lengths = [], set()
    for loader in loaders:
        batches = list(loader)
        assert sum(len(b["tokens"]) for b in batches) == 10
        names.append(batches[0]["name"])
        lengths.add(batches[0]["tokens"].shape[1])
        for batch in batches:
            for tokens, counts in zip(batch["tokens"], batch["counts"]):
                assert brute_force(tokens.tolist()) == counts[counts != IGNORE].tolist()
    assert names == ["id", "L16_R1", "L32_R1"]
    assert lengths == {16, 24, 32}
    written = sorted(p.name for p in tmp_path.iterdir())
    datamodule.prepare_data()  # reuses the existing shards
    assert sorted(p.name for p in tmp_path.iterdir()) == written
    assert np.all([(tmp_path / name / "manifest.json").exists() for name in written])
