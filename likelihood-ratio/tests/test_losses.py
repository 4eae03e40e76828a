import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar

from polymath.likelihood_ratio import PARAMETRIZATIONS, Objective, get_loss, get_parametrization

LOSSES = [
    ("bce", {}),
    ("mse", {}),
    ("mlc", {}),
    ("sqr", {}),
    ("p-mse", {"p": 1.2}),
    ("p-mse", {"p": 3.0}),
    ("p-mse", {"p": -0.5}),
    ("r-sqr", {"r": 0.5}),
    ("r-sqr", {"r": 2.0}),
    ("q", {"q": 0.5}),
]
RATIOS = [0.25, 0.8, 1.0, 1.3, 4.0]


@pytest.mark.parametrize(("name", "params"), LOSSES)
@pytest.mark.parametrize("ratio", RATIOS)
def test_the_pointwise_optimum_maps_to_the_ratio(name, params, ratio):
    """Maximising p1 A(f) + p0 B(f) over f, then mapping f, gives p1 / p0."""
    loss = get_loss(name, **params)
    p1, p0 = ratio / (1 + ratio), 1 / (1 + ratio)

    def negative(f: float) -> float:
        t = torch.tensor(f, dtype=torch.float64)
        return -(p1 * loss.A(t) + p0 * loss.B(t)).item()

    bounds = (1e-9, 1 - 1e-9) if loss.domain == "unit" else (1e-9, 1e3)
    f_star = minimize_scalar(negative, bounds=bounds, method="bounded", options={"xatol": 1e-12}).x
    recovered = loss.ratio(torch.tensor(f_star, dtype=torch.float64)).item()
    assert recovered == pytest.approx(ratio, rel=1e-3)


@pytest.mark.parametrize("name", sorted(PARAMETRIZATIONS))
def test_parametrizations_stay_finite_for_extreme_outputs(name):
    link = get_parametrization(name)
    z = torch.linspace(-100, 100, 2001)
    loss_name = "bce" if link.domain == "unit" else "mlc"
    objective = Objective(get_loss(loss_name), link)
    for y in (torch.zeros_like(z), torch.ones_like(z)):
        assert torch.isfinite(objective.per_sample(z, y)).all()
    assert torch.isfinite(objective.log_ratio(z)).all()
    assert torch.isfinite(link.log_f(z)).all()


def test_exponential_mlc_is_the_analytic_form():
    z = torch.linspace(-5, 5, 11)
    y = torch.tensor([1.0, 0.0] * 5 + [1.0])
    objective = Objective.from_names("mlc", "exponential")
    expected = -(y * z + (1 - y) * (1 - torch.exp(z)))
    assert torch.allclose(objective.per_sample(z, y), expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Objective.from_names("bce", "exponential"), "needs a \\(0,1\\) parametrization"),
        (lambda: Objective.from_names("mlc", "sigmoid"), "needs a positive parametrization"),
        (lambda: get_loss("p-mse", p=0.5), "p-MSE needs p < 0 or p > 1"),
        (lambda: get_loss("r-sqr", r=0.0), "r != 0"),
        (lambda: get_loss("hinge"), "unknown loss 'hinge'"),
        (lambda: get_loss("mlc", p=2.0), "does not take parameters"),
        (lambda: get_parametrization("softplus"), "softplus"),
    ],
)
def test_invalid_configurations_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_ratio_of_a_perfect_classifier_output():
    """For BCE, a sigmoid output z = log LR maps back to LR exactly."""
    lr = np.array([0.5, 1.0, 2.0])
    objective = Objective.from_names("bce", "sigmoid")
    assert np.allclose(objective.ratio(torch.tensor(np.log(lr))).numpy(), lr)
