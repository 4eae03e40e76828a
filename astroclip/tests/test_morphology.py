import csv

import numpy as np
import pytest
import torch

from polymath.astroclip.data.formats import FormatError
from polymath.astroclip.data.morphology import (
    GZD5_ANSWERS,
    axis_ratio,
    read_gz_decals,
    simulated_vote_fractions,
)
from polymath.astroclip.evaluation import majority_accuracy, morphology_accuracy, morphology_table


def _write_catalogue(path, rows, columns):
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, columns)
        writer.writeheader()
        writer.writerows(rows)


def test_the_gz_decals_reader_takes_the_release_columns(tmp_path):
    answers = {q: GZD5_ANSWERS[q] for q in ("smooth-or-featured", "disk-edge-on")}
    columns = ["iauname", "ra", "dec"] + [
        f"{q}_{a}{suffix}"
        for q, a_s in answers.items()
        for a in a_s
        for suffix in ("", "_fraction")
    ]
    columns += ["bar_strong_fraction"]  # a question with some answers missing is left out
    rows = [
        {
            "iauname": "J000001.00+000001.0",
            "ra": "0.1",
            "dec": "0.2",
            "smooth-or-featured_smooth_fraction": "0.8",
            "smooth-or-featured_featured-or-disk_fraction": "0.2",
            "smooth-or-featured_artifact_fraction": "0.0",
            "disk-edge-on_yes_fraction": "",
            "disk-edge-on_no_fraction": "",
        },
        {
            "iauname": "J000002.00+000002.0",
            "ra": "1.0",
            "dec": "-2.0",
            "smooth-or-featured_smooth_fraction": "0.1",
            "smooth-or-featured_featured-or-disk_fraction": "0.85",
            "smooth-or-featured_artifact_fraction": "0.05",
            "disk-edge-on_yes_fraction": "0.7",
            "disk-edge-on_no_fraction": "0.3",
        },
    ]
    path = tmp_path / "gz_decals_volunteers_5.csv"
    _write_catalogue(path, rows, columns)
    votes = read_gz_decals(path)
    assert list(votes["ids"]) == ["J000001.00+000001.0", "J000002.00+000002.0"]
    assert np.allclose(votes["dec"], [0.2, -2.0])
    assert set(votes) == {"ids", "ra", "dec", "smooth-or-featured", "disk-edge-on"}
    assert np.allclose(votes["smooth-or-featured"][1], [0.1, 0.85, 0.05])
    assert np.isnan(votes["disk-edge-on"][0]).all()  # not asked: no votes


def test_a_file_without_the_vote_fractions_is_refused_in_one_line(tmp_path):
    path = tmp_path / "other.csv"
    _write_catalogue(path, [{"iauname": "x", "ra": "0", "dec": "0"}], ["iauname", "ra", "dec"])
    with pytest.raises(
        FormatError, match="not a Galaxy Zoo DECaLS vote-fraction catalogue"
    ) as error:
        read_gz_decals(path)
    assert "smooth-or-featured_smooth_fraction" in str(error.value)
    assert "\n" not in str(error.value)


def test_simulated_votes_follow_the_true_bulge_fraction_and_axis_ratio():
    catalogue = {
        "bulge_fraction": np.array([0.9, 0.1, 0.35, 0.7]),
        "ellipticity": np.array([0.05, 0.69, 0.1, 0.6]),
    }
    votes = simulated_vote_fractions(catalogue)
    majority = {
        q: np.where(np.isnan(v).all(1), -1, np.nan_to_num(v).argmax(1)) for q, v in votes.items()
    }
    answer = {q: [GZD5_ANSWERS[q][i] if i >= 0 else None for i in m] for q, m in majority.items()}
    assert answer["smooth-or-featured"] == [
        "smooth",
        "featured-or-disk",
        "featured-or-disk",
        "smooth",
    ]
    assert answer["disk-edge-on"] == [None, "yes", "no", None]  # asked of featured galaxies only
    assert answer["bulge-size"] == [None, "small", "large", None]
    assert answer["how-rounded"] == ["round", None, None, "cigar-shaped"]
    for v in votes.values():
        reached = ~np.isnan(v).any(1)
        assert np.allclose(v[reached].sum(1), 1.0)
    assert np.isclose(axis_ratio(np.array([0.6]))[0], 0.5)  # e = (1 - q²)/(1 + q²)


def test_morphology_accuracy_finds_answers_that_the_embedding_carries():
    rng = np.random.default_rng(0)
    answer = rng.integers(0, 3, 600)
    votes = np.eye(3)[answer] * 0.8 + 0.2 / 3
    informative = np.eye(3)[answer] + 0.1 * rng.normal(size=(600, 3))
    noise = rng.normal(size=(600, 3))
    train, test = slice(0, 400), slice(400, 600)
    for method in ("zero-shot", "few-shot"):
        good = morphology_accuracy(
            informative[train], votes[train], informative[test], votes[test], method
        )
        bad = morphology_accuracy(noise[train], votes[train], noise[test], votes[test], method)
        assert good > 0.95 and bad < 0.5
    assert 0.2 < majority_accuracy(votes[train], votes[test]) < 0.5


def test_the_morphology_table_has_a_baseline_and_skips_unreached_questions():
    rng = np.random.default_rng(1)
    x = {"image": torch.tensor(rng.normal(size=(50, 4)), dtype=torch.float32)}
    smooth = np.column_stack([np.ones(50), np.zeros(50), np.zeros(50)])
    votes = {"smooth-or-featured": smooth, "disk-edge-on": np.full((50, 2), np.nan)}
    rows = morphology_table(x, x, votes, votes, embeddings=("image",), k=5)
    assert [r["method"] for r in rows] == ["majority answer", "zero-shot", "few-shot"]
    assert all("disk-edge-on" not in r and r["mean"] == 1.0 for r in rows)
