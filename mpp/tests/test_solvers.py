"""Each solver against a physical fact it must respect."""

import numpy as np
import pytest

from polymath.mpp.data.simulate import simulate
from polymath.mpp.data.solvers import compressible, incompressible
from polymath.mpp.data.solvers.advection_diffusion import advect_diffuse
from polymath.mpp.data.solvers.diffusion_reaction import DU, DV, simulate_diffusion_reaction
from polymath.mpp.data.solvers.shallow_water import simulate_shallow_water
from polymath.mpp.data.solvers.trajectories import cell_centres


def test_shallow_water_conserves_mass_behind_closed_walls():
    run = simulate_shallow_water(3, resolution=32, n_frames=6, t_end=1.0, seed=1)
    mass = run.fields[..., 0].astype(np.float64).sum(axis=(-2, -1))
    np.testing.assert_allclose(mass, np.broadcast_to(mass[:, :1], mass.shape), rtol=1e-6)
    assert not np.allclose(run.fields[:, -1], run.fields[:, 0])  # the dam did break


def test_incompressible_velocity_is_divergence_free():
    run = simulate("incompNS", 2, 32, 4, seed=2)
    grid = incompressible.SpectralGrid(32)
    u, v = run.fields[..., 0].astype(np.float64), run.fields[..., 1].astype(np.float64)
    divergence = grid.divergence(u, v)
    gradient_scale = np.abs(np.fft.ifft2(1j * grid.kx * np.fft.fft2(u)).real).max()
    assert np.abs(divergence).max() < 1e-5 * gradient_scale
    assert run.extras["force"].shape == (2, 32, 32, 2)


@pytest.mark.parametrize("mach", [0.1, 1.0])
def test_inviscid_compressible_flow_conserves_mass_momentum_and_energy(mach):
    state = compressible.random_initial_state(np.random.default_rng(3), 2, 32, mach)
    run = compressible.simulate_compressible(2, 32, 5, t_end=0.2, initial=state)
    vx, vy, rho, pressure = (run.fields[..., i].astype(np.float64) for i in range(4))
    conserved = compressible.to_conserved(np.stack([rho, vx, vy, pressure]))
    totals = conserved.sum(axis=(-2, -1))  # (4 quantities, trajectories, frames)
    scale = np.abs(conserved).sum(axis=(-2, -1))[..., :1]
    np.testing.assert_allclose(
        totals, np.broadcast_to(totals[..., :1], totals.shape), atol=1e-5 * scale.max()
    )
    assert np.all(pressure > 0) and np.all(rho > 0)


def test_pure_diffusion_matches_the_analytic_decay_of_a_cosine_mode():
    n, t_end = 64, 2.0
    x = cell_centres(n, -1.0, 1.0)
    mode = np.cos(np.pi * (x + 1.0) / 2.0)  # satisfies the no-flux walls
    initial = np.stack([np.broadcast_to(mode[None, :], (n, n))] * 2)[:, None]
    run = simulate_diffusion_reaction(1, n, 3, t_end=t_end, reaction=False, initial=initial)
    for channel, diffusivity in enumerate((DU, DV)):
        expected = mode[None, :] * np.exp(-diffusivity * (np.pi / 2) ** 2 * t_end)
        np.testing.assert_allclose(
            run.fields[0, -1, ..., channel], np.broadcast_to(expected, (n, n)), atol=2e-4
        )


def test_advection_diffusion_translates_and_decays_a_fourier_mode():
    n = 32
    x = cell_centres(n, 0.0, 1.0)
    initial = np.sin(2 * np.pi * x)[None, None, :].repeat(n, axis=1)
    t = np.array([0.0, 0.3])
    out = advect_diffuse(initial, np.array([[0.25, 0.0]]), np.array([0.01]), t)
    expected = np.sin(2 * np.pi * (x - 0.25 * 0.3)) * np.exp(-0.01 * (2 * np.pi) ** 2 * 0.3)
    np.testing.assert_allclose(out[0, 1], np.broadcast_to(expected, (n, n)), atol=1e-10)


@pytest.mark.parametrize("name", ["swe", "diffre2d", "incompNS", "cns_m0.1", "advdiff"])
def test_simulators_are_seeded_and_finite(name):
    a = simulate(name, 2, 32, 3, seed=5)
    b = simulate(name, 2, 32, 3, seed=5)
    c = simulate(name, 2, 32, 3, seed=6)
    np.testing.assert_array_equal(a.fields, b.fields)
    assert not np.array_equal(a.fields, c.fields)
    assert np.isfinite(a.fields).all() and a.fields.dtype == np.float32
