import numpy as np
import pytest
import torch
from scipy import stats

from polymath.likelihood_ratio.data import (
    DATASETS,
    FlowRatioDataset,
    RatioDataModule,
    fit_flow,
    get_dataset,
    load_jets,
)
from polymath.likelihood_ratio.metrics import ratio_mae

SCIPY = {
    "normal": (stats.norm(0.1, 1), stats.norm(-0.1, 1)),
    "shifted_normal": (stats.norm(10.1, 1), stats.norm(9.9, 1)),
    "beta": (stats.beta(3, 2), stats.beta(2, 3)),
    "gamma": (stats.gamma(6), stats.gamma(5)),
}


@pytest.mark.parametrize("name", sorted(SCIPY))
def test_univariate_ratios_match_scipy(name):
    problem = get_dataset(name)
    x, _ = problem.sample(500, seed=1)
    signal, background = SCIPY[name]
    points = x[:, 0].astype(np.float64)  # at the floors (numpy 1.24, scipy 1.10) float32 stays float32
    expected = signal.pdf(points) / background.pdf(points)
    assert np.allclose(problem.likelihood_ratio(x), expected, rtol=1e-6)


def test_two_dimensional_ratios_match_scipy():
    checks = {
        "vertical": ((0.1, 0), np.eye(2), (-0.1, 0), np.eye(2)),
        "circle": ((0.1, 0), np.eye(2), (-0.1, 0), 2 * np.eye(2)),
        "hyperbola": ((0, 0), np.diag([1, 2]), (0, 0), np.diag([2, 1])),
        "checker": ((0, 0), [[2, 0.25], [0.25, 1]], (0, 0), [[2, -0.25], [-0.25, 1]]),
    }
    for name, (m1, c1, m0, c0) in checks.items():
        problem = get_dataset(name)
        x, _ = problem.sample(300, seed=2)
        expected = stats.multivariate_normal(m1, c1).pdf(x) / stats.multivariate_normal(m0, c0).pdf(
            x
        )
        assert np.allclose(problem.likelihood_ratio(x), expected, rtol=1e-6), name


def test_labels_follow_the_numerator_convention():
    problem = get_dataset("normal", epsilon=2.0)
    x, y = problem.sample(4000, seed=0)
    assert x[y == 1].mean() > 1.5 and x[y == 0].mean() < -1.5
    assert 0.45 < y.mean() < 0.55


def test_every_registered_dataset_samples_with_finite_ratios():
    for name in sorted(set(DATASETS) - {"zjets"}):
        problem = get_dataset(name)
        x, y = problem.sample(64, seed=0)
        assert x.shape == (64, problem.dim) and y.shape == (64,)
        assert np.isfinite(problem.likelihood_ratio(x)).all()


def test_unknown_dataset_or_parameter_raise():
    with pytest.raises(ValueError, match="unknown"):
        get_dataset("cauchy")
    with pytest.raises(ValueError):
        get_dataset("normal", sigma=3)


def test_the_exact_ratio_has_zero_mae():
    problem = get_dataset("circle")
    x, _ = problem.sample(1000, seed=3)
    exact = torch.from_numpy(problem.likelihood_ratio(x))
    assert ratio_mae(exact[None], exact).item() == 0.0


def test_datamodule_splits_and_batches_by_fraction():
    data = RatioDataModule("normal", n=1000, n_test=200)
    data.setup("fit")
    assert len(data._train) == 750 and len(data._val) == 250
    assert data.batch_size == 100
    x, _y, exact = data.test_arrays()
    assert x.shape == (200, 1) and exact.shape == (200,)
    with pytest.raises(ValueError, match="batch_fraction"):
        RatioDataModule(batch_fraction=0)


def _write_jets(path, n, shift, key="sim_jets"):
    rng = np.random.default_rng(0)
    jets = np.column_stack(
        [
            rng.gamma(5, 40, n) + 200 + shift,
            rng.normal(0, 1, n),
            rng.uniform(-np.pi, np.pi, n),
            rng.gamma(4, 5, n),
        ]
    )
    np.savez(path, **{key: jets, "gen_jets": jets})


def test_omnifold_loader_reads_jets_and_names_missing_keys(tmp_path):
    _write_jets(tmp_path / "herwig.npz", 300, 10.0)
    jets = load_jets(tmp_path / "herwig.npz")
    assert jets.shape == (300, 4) and np.isfinite(jets).all()
    with pytest.raises(ValueError, match="no key 'reco_jets'; available keys: gen_jets, sim_jets"):
        load_jets(tmp_path / "herwig.npz", key="reco_jets")
    with pytest.raises(FileNotFoundError, match="no OmniFold file"):
        load_jets(tmp_path / "missing.npz")


def test_flows_give_an_exact_ratio_by_sampling(tmp_path):
    _write_jets(tmp_path / "herwig.npz", 400, 20.0)
    _write_jets(tmp_path / "pythia.npz", 400, 0.0)
    signal = fit_flow(load_jets(tmp_path / "herwig.npz"), epochs=2, transforms=1, hidden=(16,))
    background = fit_flow(load_jets(tmp_path / "pythia.npz"), epochs=2, transforms=1, hidden=(16,))
    problem = FlowRatioDataset(signal, background)
    x, _y = problem.sample(256, seed=0)
    ratio = problem.likelihood_ratio(x)
    assert x.shape == (256, 4) and np.isfinite(ratio).all() and (ratio > 0).all()
    assert ratio.max() <= 1e7
    problem.save(tmp_path / "flows.pt")
    again = FlowRatioDataset.load(tmp_path / "flows.pt")
    assert np.allclose(again.likelihood_ratio(x), ratio, rtol=1e-5)
