import numpy as np
import pytest

from polymath.cwola_streams.data import COLUMNS, load_patch, save_patch
from polymath.cwola_streams.data.simulate import StreamModel, StreamTooWeakError, simulate_patch

SHORT_STREAM = StreamModel(age_myr=800.0, particles_per_step=2)


@pytest.fixture(scope="module")
def patch():
    return simulate_patch(n_background=3000, n_stream=150, seed=3, stream=SHORT_STREAM)


def test_layout_cut_and_flags(patch, tmp_path):
    assert patch.stars.shape[1] == len(COLUMNS) == 10
    assert (patch["mag"] < 20.2).all()
    assert 140 <= patch.is_stream.sum() <= 150  # a few fall past G = 20.2 once errors are drawn
    assert (np.hypot(patch["phi"], patch["lambda"]) < 15.5).all()
    saved = load_patch(save_patch(patch, tmp_path / "mock.npy"))
    assert np.load(tmp_path / "mock.npy").shape[1] == 11
    np.testing.assert_array_equal(saved.is_stream, patch.is_stream)
    np.testing.assert_allclose(saved.stars, patch.stars)


def test_stream_is_a_narrow_track_with_coherent_proper_motions(patch):
    stream, field = patch.select(patch.is_stream), patch.select(~patch.is_stream)
    # Narrow in the sky: about a quadratic track in (ϕ, λ), far tighter than the patch.
    coefficients = np.polyfit(stream["phi"], stream["lambda"], 2)
    residual = stream["lambda"] - np.polyval(coefficients, stream["phi"])
    assert residual.std() < 0.6
    assert field["lambda"].std() > 5.0
    # Coherent in proper motion: a tight clump, against a field spread over tens of mas/yr.
    for name in ("pmphi", "pmlambda"):
        assert stream[name].std() < 1.0
        assert field[name].std() > 5.0
    # The frame rotation keeps the total proper motion.
    total_icrs = np.hypot(patch["pmra"], patch["pmdec"])
    total_patch = np.hypot(patch["pmphi"], patch["pmlambda"])
    np.testing.assert_allclose(total_patch, total_icrs, rtol=1e-6, atol=1e-6)


def test_same_seed_same_patch():
    a = simulate_patch(n_background=500, n_stream=0, seed=7)
    b = simulate_patch(n_background=500, n_stream=0, seed=7)
    np.testing.assert_array_equal(a.stars, b.stars)
    assert not a.is_stream.any()


def test_too_strong_a_stream_is_refused():
    with pytest.raises(StreamTooWeakError, match="fewer than the 100000 asked for"):
        simulate_patch(n_background=10, n_stream=100_000, seed=1, stream=SHORT_STREAM)
