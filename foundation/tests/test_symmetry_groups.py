"""Group samplers produce group elements, with Haar-uniform statistics."""

import math

import pytest
import torch

from polymath.foundation.symmetry import (
    MAX_TESTED_RAPIDITY,
    haar_orthogonal,
    random_lorentz,
    random_permutation,
    random_z_rotation_translation,
    rapidity_of,
    rotation_angle,
)

METRIC = torch.diag(torch.tensor([1.0, -1.0, -1.0, -1.0], dtype=torch.float64))


def ks_statistic(samples: torch.Tensor, cdf) -> float:
    """Kolmogorov-Smirnov distance between the empirical CDF of ``samples`` and ``cdf``."""
    x, _ = torch.sort(samples)
    n = len(x)
    theoretical = cdf(x)
    above = torch.arange(1, n + 1, dtype=x.dtype) / n - theoretical
    below = theoretical - torch.arange(0, n, dtype=x.dtype) / n
    return float(torch.maximum(above, below).max())


def ks_critical(n: int) -> float:
    return 1.63 / math.sqrt(n)  # 1 % level


def test_permutations_are_permutations_and_uniform():
    g = torch.Generator().manual_seed(0)
    perms = random_permutation(6000, 3, generator=g)
    assert torch.equal(perms.sort(-1).values, torch.arange(3).expand(6000, 3))
    codes = perms[:, 0] * 9 + perms[:, 1] * 3 + perms[:, 2]
    counts = torch.bincount(codes, minlength=27)[[5, 7, 11, 15, 19, 21]].double()
    assert counts.sum() == 6000
    chi2 = float(((counts - 1000) ** 2 / 1000).sum())
    assert chi2 < 15.1  # chi-square, 5 degrees of freedom, 1 % level


@pytest.mark.parametrize("n", [2, 3, 5])
def test_orthogonal_matrices_are_orthogonal_with_haar_moments(n):
    g = torch.Generator().manual_seed(1)
    q = haar_orthogonal(4000, n, generator=g)
    eye = torch.eye(n, dtype=torch.float64)
    assert torch.allclose(q.transpose(-1, -2) @ q, eye.expand_as(q), atol=1e-12)
    det = torch.linalg.det(q)
    assert torch.allclose(det.abs(), torch.ones_like(det))
    assert abs(float((det > 0).double().mean()) - 0.5) < 0.05  # both components of O(n)
    assert float(q.mean(0).abs().max()) < 0.06  # E[Q] = 0
    assert torch.allclose((q**2).mean(0), torch.full((n, n), 1 / n, dtype=torch.float64), atol=0.03)


def test_special_orthogonal_angles_follow_the_haar_density():
    """The SO(3) rotation angle has density (1 − cos θ)/π, CDF (θ − sin θ)/π."""
    g = torch.Generator().manual_seed(2)
    q = haar_orthogonal(5000, 3, special=True, generator=g)
    assert torch.allclose(torch.linalg.det(q), torch.ones(5000, dtype=torch.float64))
    angles = rotation_angle(q)
    assert ks_statistic(angles, lambda t: (t - torch.sin(t)) / math.pi) < ks_critical(5000)


def test_qr_without_the_sign_correction_is_caught_by_the_same_test():
    g = torch.Generator().manual_seed(2)
    q, _ = torch.linalg.qr(torch.randn(5000, 3, 3, generator=g, dtype=torch.float64))
    q[torch.linalg.det(q) < 0, :, 0] *= -1
    angles = rotation_angle(q)
    assert ks_statistic(angles, lambda t: (t - torch.sin(t)) / math.pi) > ks_critical(5000)


def test_z_rotations_fix_the_vertical_axis_with_uniform_angles():
    g = torch.Generator().manual_seed(3)
    rotation, translation = random_z_rotation_translation(4000, max_translation=2.0, generator=g)
    assert torch.allclose(
        rotation @ rotation.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand(4000, 3, 3)
    )
    assert torch.equal(
        rotation[:, 2], torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64).expand(4000, 3)
    )
    assert torch.all(translation[:, 2] == 0) and float(translation.abs().max()) <= 2.0
    angles = torch.atan2(rotation[:, 1, 0], rotation[:, 0, 0]) % (2 * math.pi)
    assert ks_statistic(angles, lambda t: t / (2 * math.pi)) < ks_critical(4000)


def test_lorentz_transformations_preserve_the_metric_and_are_proper_orthochronous():
    g = torch.Generator().manual_seed(4)
    transform = random_lorentz(2000, max_rapidity=3.0, generator=g)
    preserved = transform.transpose(-1, -2) @ METRIC @ transform
    assert torch.allclose(preserved, METRIC.expand_as(preserved), atol=1e-9)
    assert torch.all(transform[:, 0, 0] >= 1)
    assert torch.allclose(
        torch.linalg.det(transform), torch.ones(2000, dtype=torch.float64), atol=1e-8
    )
    rapidity = rapidity_of(transform)
    assert float(rapidity.max()) <= 3.0 + 1e-9
    assert ks_statistic(rapidity, lambda r: r / 3.0) < ks_critical(2000)  # η ~ U(0, 3)


def test_a_rapidity_beyond_the_tested_range_is_refused():
    with pytest.raises(ValueError, match="tested range"):
        random_lorentz(4, max_rapidity=MAX_TESTED_RAPIDITY + 1)
