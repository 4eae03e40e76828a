"""Every layer of the toolkit is equivariant: about 1e-10 in float64, a stated tolerance in float32."""

import pytest
import torch
from torch import nn

from polymath.foundation.symmetry import (
    MAX_TESTED_RAPIDITY,
    DeepSetsEquivariant,
    DeepSetsInvariant,
    EGNNLayer,
    Eq2to2,
    EquivarianceError,
    LorentzNetBlock,
    apply_lorentz,
    apply_permutation,
    apply_rotation_translation,
    equivariance_error,
    haar_orthogonal,
    invariant_mass,
    pairwise_dots,
    random_lorentz,
    random_permutation,
    rapidity_of,
)

TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-4}


def momenta(batch: int, n: int, dtype=torch.float64, seed: int = 0) -> torch.Tensor:
    """On-shell 4-vectors (E, px, py, pz) of jet-like constituents: GeV scales, small masses."""
    g = torch.Generator().manual_seed(seed)
    p = 50 * torch.randn(batch, n, 3, generator=g, dtype=dtype)
    mass = torch.rand(batch, n, 1, generator=g, dtype=dtype)
    return torch.cat([(p.pow(2).sum(-1, keepdim=True) + mass**2).sqrt(), p], -1)


def padding_mask(batch: int, n: int) -> torch.Tensor:
    mask = torch.ones(batch, n, dtype=torch.bool)
    mask[0, -2:] = False
    return mask


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_deep_sets_layers_are_permutation_equivariant_and_invariant(dtype):
    torch.manual_seed(0)
    x = torch.randn(8, 6, 5, dtype=dtype)
    perm = random_permutation(8, 6, generator=torch.Generator().manual_seed(1))
    layer = DeepSetsEquivariant(5, 7).to(dtype)
    errors = equivariance_error(layer, x, perm, apply_permutation, apply_permutation)
    assert float(errors.max()) < TOLERANCE[dtype]
    invariant = DeepSetsInvariant(nn.Linear(5, 16), nn.Linear(16, 1)).to(dtype)
    assert float(equivariance_error(invariant, x, perm, apply_permutation).max()) < TOLERANCE[dtype]


def test_deep_sets_ignore_padding():
    torch.manual_seed(0)
    x = torch.randn(1, 4, 3, dtype=torch.float64)
    padded = torch.cat([x, 100 * torch.randn(1, 2, 3, dtype=torch.float64)], 1)
    mask = torch.tensor([[True] * 4 + [False] * 2])
    layer = DeepSetsEquivariant(3, 2).double()
    assert torch.allclose(layer(padded, mask)[:, :4], layer(x))
    assert torch.all(layer(padded, mask)[:, 4:] == 0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@torch.no_grad()
def test_egnn_is_e3_equivariant(dtype):
    torch.manual_seed(0)
    layer = EGNNLayer(features=4, hidden=16).to(dtype)
    h, x = torch.randn(6, 5, 4, dtype=dtype), torch.randn(6, 5, 3, dtype=dtype)
    mask = padding_mask(6, 5)
    g = torch.Generator().manual_seed(2)
    rotation = haar_orthogonal(6, 3, generator=g, dtype=dtype)  # O(3): reflections too
    translation = torch.randn(6, 3, generator=g, dtype=dtype)
    h1, x1 = layer(h, apply_rotation_translation(rotation, translation, x) * mask[..., None], mask)
    h0, x0 = layer(h, x, mask)
    expected = apply_rotation_translation(rotation, translation, x0) * mask[..., None]
    assert float((h1 - h0).norm() / h0.norm()) < TOLERANCE[dtype]
    assert float((x1 - expected).norm() / expected.norm()) < TOLERANCE[dtype]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@torch.no_grad()
def test_lorentznet_block_is_lorentz_equivariant_over_the_tested_range(dtype):
    torch.manual_seed(0)
    block = LorentzNetBlock(features=4, hidden=16).to(dtype)
    p = momenta(16, 6, dtype)
    h = torch.randn(16, 6, 4, dtype=dtype)
    mask = padding_mask(16, 6)
    p = p * mask[..., None]
    transform = random_lorentz(
        16, MAX_TESTED_RAPIDITY, generator=torch.Generator().manual_seed(3), dtype=dtype
    )
    h1, x1 = block(h, apply_lorentz(transform, p), mask)
    h0, x0 = block(h, p, mask)
    tolerance = {torch.float64: 1e-10, torch.float32: 1e-4}[
        dtype
    ]  # measured: 1e-14 and 1e-5 at η = 4
    assert float((h1 - h0).norm() / h0.norm()) < tolerance
    expected = apply_lorentz(transform, x0)
    assert float((x1 - expected).norm() / expected.norm()) < tolerance


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_eq2to2_is_permutation_equivariant_with_padding(dtype):
    torch.manual_seed(0)
    layer = Eq2to2(3, 5).to(dtype)
    mask = padding_mask(4, 6)
    pairs = torch.randn(4, 6, 6, 3, dtype=dtype) * (mask[:, :, None] & mask[:, None, :])[..., None]
    perm = random_permutation(4, 6, generator=torch.Generator().manual_seed(4))

    def permute_pairs(g, t):
        rows = apply_permutation(g, t)
        return apply_permutation(g, rows.transpose(1, 2)).transpose(1, 2)

    permuted_mask = apply_permutation(perm, mask[..., None]).squeeze(-1)
    out = layer(permute_pairs(perm, pairs), permuted_mask)
    expected = permute_pairs(perm, layer(pairs, mask))
    assert float((out - expected).norm() / expected.norm()) < TOLERANCE[dtype]


def test_eq2to2_uses_all_fifteen_operations():
    """Each basis operation contributes: zeroing any one block of weights changes the output."""
    torch.manual_seed(0)
    layer = Eq2to2(1, 1).double()
    pairs = torch.randn(2, 4, 4, 1, dtype=torch.float64)
    reference = layer(pairs)
    for k in range(Eq2to2.BASIS):
        with torch.no_grad():
            saved = layer.linear.weight[:, k].clone()
            layer.linear.weight[:, k] = 0
            changed = not torch.allclose(layer(pairs), reference)
            layer.linear.weight[:, k] = saved
        assert changed, f"basis operation {k} has no effect"


def test_lorentz_invariants_are_invariant():
    p = momenta(32, 5)
    transform = random_lorentz(32, MAX_TESTED_RAPIDITY, generator=torch.Generator().manual_seed(5))
    boosted = apply_lorentz(transform, p)
    dots = pairwise_dots(p)
    assert torch.allclose(pairwise_dots(boosted), dots, rtol=1e-9, atol=1e-6)
    assert torch.allclose(invariant_mass(boosted), invariant_mass(p), rtol=1e-9)


def test_the_metric_catches_a_non_equivariant_layer():
    torch.manual_seed(0)
    p = momenta(64, 4)
    flat = nn.Linear(16, 1).double()

    def mlp(x):
        return flat(x.flatten(1))

    transform = random_lorentz(64, 2.0, generator=torch.Generator().manual_seed(6))
    metric = EquivarianceError()
    metric.update(mlp(apply_lorentz(transform, p)), mlp(p), size=rapidity_of(transform))
    assert float(metric.compute()["mean"]) > 0.1
    centres, means = metric.by_size(torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0]))
    assert centres.shape == means.shape == (4,)
    assert float(means[-1]) > float(means[0])  # larger boosts break it more


def test_the_metric_matches_a_direct_computation():
    torch.manual_seed(0)
    a, b = torch.randn(10, 3, 2, dtype=torch.float64), torch.randn(10, 3, 2, dtype=torch.float64)
    metric = EquivarianceError(eps=0.0)
    metric.update(a[:4], b[:4])
    metric.update(a[4:], b[4:])
    direct = [float((a[i] - b[i]).norm() / b[i].norm()) for i in range(10)]
    result = metric.compute()
    assert float(result["mean"]) == pytest.approx(sum(direct) / 10, rel=1e-12)
    assert float(result["max"]) == pytest.approx(max(direct), rel=1e-12)


def test_wrong_shapes_get_a_clear_error():
    with pytest.raises(ValueError, match="4 components"):
        pairwise_dots(torch.randn(2, 3, 3))
    with pytest.raises(ValueError, match="4 components"):
        apply_lorentz(torch.eye(4)[None], torch.randn(1, 3, 5))
    with pytest.raises(ValueError, match="no samples"):
        EquivarianceError().compute()
