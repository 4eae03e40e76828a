import numpy as np
import pytest

from polymath.cwola_streams.selection import (
    PatchScores,
    larger_pm_cluster,
    select_candidates,
    tally,
    top_n,
    unique_stars,
)


def test_top_n_respects_the_mask_and_orders_best_first():
    scores = np.array([0.1, 0.9, 0.5, 0.95, 0.7])
    mask = np.array([True, True, True, False, True])
    assert top_n(scores, 2, mask).tolist() == [1, 4]
    assert top_n(scores, 10).tolist() == [3, 1, 4, 2, 0]


def test_larger_proper_motion_cluster():
    rng = np.random.default_rng(0)
    stream = rng.normal([-6.0, -12.0], 0.3, (40, 2))
    field = rng.normal([5.0, 3.0], 0.5, (15, 2))
    keep = larger_pm_cluster(np.r_[stream, field])
    assert keep[:40].all() and not keep[40:].any()


def test_duplicates_from_overlapping_patches_are_dropped():
    rows = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0]])
    assert unique_stars(rows).tolist() == [0, 1]


def test_purity_and_completeness_on_hand_made_lists():
    result = tally(np.array([True, True, False, True]), labelled=6)
    assert (result.selected, result.matched) == (4, 3)
    assert result.purity == pytest.approx(0.75)
    assert result.completeness == pytest.approx(0.5)
    assert np.isnan(tally(np.array([], bool), 0).purity)


def make_patch(stars_pm, scores, members, offset):
    n = len(scores)
    stars = np.zeros((n, 10))
    stars[:, 3] = np.arange(n) + offset  # ra: star identity
    stars[:, 8:10] = stars_pm
    return PatchScores(stars, np.asarray(scores, float), np.asarray(members), np.ones(n, bool))


def test_pooled_selection_with_cluster_and_dedup():
    # Patch A: stars 0-3 are members (pm near -12), star 4 a field star with a high score.
    pm = np.array([[-6, -12], [-6.1, -12.1], [-5.9, -11.9], [-6, -12.2], [8, 8]], float)
    a = make_patch(pm, [0.9, 0.8, 0.7, 0.1, 0.95], [1, 1, 1, 1, 0], offset=0)
    # Patch B overlaps A: its first two stars are A's stars 0 and 1.
    b = make_patch(pm[:3], [0.9, 0.9, 0.2], [1, 1, 1], offset=0)
    stars, is_member, result = select_candidates([a, b], n_per_patch=3)
    # Top 3: A -> stars 4, 0, 1; B -> stars 0, 1, 2. KMeans drops star 4; dedup keeps 0, 1, 2.
    assert sorted(stars[:, 3].tolist()) == [0.0, 1.0, 2.0]
    assert is_member.all()
    assert (result.selected, result.matched, result.labelled) == (3, 3, 4)
    assert result.completeness == pytest.approx(0.75)
