"""Advection-diffusion of a scalar on the periodic unit square, solved exactly in Fourier space.

c_t + a·∇c = κ Δc has the solution ĉ(k, t) = ĉ(k, 0) exp(-(i k·a + κ|k|²) t) on a periodic grid.
This system is held out of pretraining: its field is none of the reference's.
"""

from __future__ import annotations

import numpy as np

from polymath.mpp.data.solvers.trajectories import (
    Trajectories,
    cell_centres,
    frame_times,
    random_smooth_field,
)


def advect_diffuse(
    initial: np.ndarray, velocity: np.ndarray, diffusivity: np.ndarray, times: np.ndarray
) -> np.ndarray:
    """Exact solution (batch, frames, n, n) for per-trajectory velocity (batch, 2) and κ (batch,)."""
    n = initial.shape[-1]
    k = 2.0 * np.pi * np.fft.fftfreq(n, d=1.0 / n)
    kx, ky = k[None, None, None, :], k[None, None, :, None]
    a_x = velocity[:, 0, None, None, None]
    a_y = velocity[:, 1, None, None, None]
    kappa = diffusivity[:, None, None, None]
    t = times[None, :, None, None]
    propagator = np.exp(-(1j * (kx * a_x + ky * a_y) + kappa * (kx**2 + ky**2)) * t)
    return np.fft.ifft2(np.fft.fft2(initial)[:, None] * propagator).real


def simulate_advection_diffusion(
    n_trajectories: int,
    resolution: int = 64,
    n_frames: int = 21,
    t_end: float = 1.0,
    seed: int = 0,
) -> Trajectories:
    """Field (concentration,): random smooth initial states, velocities and diffusivities."""
    rng = np.random.default_rng(seed)
    initial = 1.0 + 0.5 * random_smooth_field(rng, (n_trajectories, resolution, resolution), 3.0)
    velocity = rng.uniform(-0.5, 0.5, size=(n_trajectories, 2))
    diffusivity = 10.0 ** rng.uniform(-3.0, -2.0, size=n_trajectories)
    times = frame_times(t_end, n_frames)
    fields = advect_diffuse(initial, velocity, diffusivity, times)[..., None]
    x = cell_centres(resolution, 0.0, 1.0)
    return Trajectories(
        fields.astype(np.float32),
        times,
        x,
        x.copy(),
        extras={"velocity": velocity, "diffusivity": diffusivity},
    )
