import numpy as np
import pytest

from polymath.cwola_streams.data import Patch
from polymath.cwola_streams.pipeline import window_composition
from polymath.cwola_streams.windows import (
    EmptyRegionError,
    Window,
    oracle_window,
    scan_windows,
    window_significance,
)


def patch_with_pmlambda(values, stream=None):
    stars = np.zeros((len(values), 10))
    stars[:, 9] = values
    return Patch(stars, stream)


def test_oracle_window_on_a_known_distribution():
    rng = np.random.default_rng(0)
    stream = rng.normal(-12.0, 0.5, 20_000)
    field = rng.uniform(-30, 10, 20_000)
    flags = np.r_[np.ones(20_000, bool), np.zeros(20_000, bool)]
    patch = patch_with_pmlambda(np.r_[stream, field], flags)
    window = oracle_window(patch, flags, k_sr=1.0, k_sb=3.0)
    assert window.center == pytest.approx(-12.0, abs=0.02)
    assert window.sr_half == pytest.approx(0.5, rel=0.02)
    assert window.sb_half == pytest.approx(1.5, rel=0.02)
    index, labels = window.split(patch)
    in_sr = labels == 1
    # ±1σ holds 68.3 % of the stream; ±3σ minus ±1σ holds 31.4 %.
    assert flags[index][in_sr].sum() / 20_000 == pytest.approx(0.683, abs=0.01)
    assert flags[index][~in_sr].sum() / 20_000 == pytest.approx(0.314, abs=0.01)
    # The field is uniform: the SB (4σ wide in all) holds twice the SR's (2σ wide) field stars.
    field_sr, field_sb = (~flags[index] & in_sr).sum(), (~flags[index] & ~in_sr).sum()
    assert field_sb / field_sr == pytest.approx(2.0, rel=0.1)


def test_regions_on_hand_made_values():
    window = Window(center=0.0, sr_half=1.0, sb_half=2.0)
    in_sr, in_sb = window.regions(np.array([-2.5, -1.5, -0.5, 0.0, 1.0, 1.5, 2.0, 3.0]))
    assert in_sr.tolist() == [False, False, True, True, True, False, False, False]
    assert in_sb.tolist() == [False, True, False, False, False, True, True, False]


def test_empty_regions_are_named():
    patch = patch_with_pmlambda(np.array([5.0, 5.1, 5.2]))
    with pytest.raises(EmptyRegionError, match="signal region pmlambda in"):
        Window(0.0, 1.0, 2.0).split(patch)
    with pytest.raises(EmptyRegionError, match="sidebands"):
        Window(5.1, 1.0, 2.0).split(patch)
    with pytest.raises(ValueError, match="sr_half < sb_half"):
        Window(0.0, 2.0, 1.0)
    with pytest.raises(EmptyRegionError, match="at least 2 labelled"):
        oracle_window(patch, np.array([True, False, False]), 1.0, 3.0)


def test_scan_windows_tile_the_range_without_truth():
    values = np.linspace(-10, 10, 10_001)
    windows = scan_windows(values, sr_width=1.0, sb_width=1.0, quantiles=(0.0, 1.0))
    centers = np.array([w.center for w in windows])
    np.testing.assert_allclose(np.diff(centers), 1.0)
    assert centers[0] == pytest.approx(-8.5) and centers[-1] == pytest.approx(8.5)
    assert all(w.sr_half == 0.5 and w.sb_half == 1.5 for w in windows)


def test_significance_finds_an_excess_and_not_noise():
    rng = np.random.default_rng(1)
    labels = np.r_[np.ones(5000, int), np.zeros(10_000, int)]
    scores = rng.random(15_000)
    z_null, _, expected = window_significance(scores, labels, efficiency=0.02)
    assert expected == pytest.approx(100.0)
    assert abs(z_null) < 3
    scores[:60] = 2.0  # 60 signal-like stars in the SR, above every SB score
    z_signal, selected, _ = window_significance(scores, labels, efficiency=0.02)
    assert selected >= 150 and z_signal > 5


def test_window_composition_counts_and_enrichment():
    # SR [-1, 1]: 2 stream + 2 field; SB: 1 stream + 5 field; outside: 1 stream, 1 field.
    values = np.array([0.0, 0.5, -0.5, 0.9, 1.5, -1.5, 1.2, -1.2, 1.8, -1.9, 5.0, -5.0])
    stream = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0], bool)
    metrics = window_composition(patch_with_pmlambda(values, stream), Window(0.0, 1.0, 2.0))
    assert metrics["window/stars"] == 10 and metrics["window/stream_stars"] == 3
    assert (metrics["window/sr_stars"], metrics["window/sr_stream_stars"]) == (4, 2)
    assert (metrics["window/sb_stars"], metrics["window/sb_stream_stars"]) == (6, 1)
    assert metrics["window/enrichment"] == pytest.approx((2 / 4) / (1 / 6))
