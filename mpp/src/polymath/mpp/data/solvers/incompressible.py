"""Forced incompressible Navier-Stokes on the periodic unit square, with a passive tracer.

Pseudo-spectral vorticity form with 2/3 dealiasing and an integrating-factor Heun scheme:
ω_t + u·∇ω = ν Δω + curl f,  c_t + u·∇c = κ Δc, where u comes from the stream function, so the
velocity is divergence-free by construction (the tests check it). The forcing f is a random smooth
field per trajectory, constant in time, as in PDEBench's inhomogeneous set.
"""

from __future__ import annotations

import numpy as np

from polymath.mpp.data.solvers.trajectories import (
    Trajectories,
    advance_to_frames,
    cell_centres,
    frame_times,
    random_smooth_field,
)

VISCOSITY = 2e-3
TRACER_DIFFUSIVITY = 1e-3


class SpectralGrid:
    """Wavenumbers of an n×n periodic grid on the unit square."""

    def __init__(self, n: int) -> None:
        k = 2.0 * np.pi * np.fft.fftfreq(n, d=1.0 / n)
        self.kx = k[None, :]
        self.ky = k[:, None]
        self.k2 = self.kx**2 + self.ky**2
        self.inverse_k2 = np.where(self.k2 > 0, 1.0 / np.where(self.k2 > 0, self.k2, 1.0), 0.0)
        cutoff = (2.0 / 3.0) * np.abs(k).max()
        self.dealias = (np.abs(self.kx) < cutoff) & (np.abs(self.ky) < cutoff)

    def velocity(self, vorticity_hat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(u, v) in Fourier space from the stream function ψ, Δψ = -ω: u = ψ_y, v = -ψ_x."""
        stream = vorticity_hat * self.inverse_k2
        return 1j * self.ky * stream, -1j * self.kx * stream

    def divergence(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Spectral divergence of a velocity given in physical space."""
        return np.fft.ifft2(1j * self.kx * np.fft.fft2(u) + 1j * self.ky * np.fft.fft2(v)).real

    def advection(self, u_hat: np.ndarray, v_hat: np.ndarray, scalar_hat: np.ndarray) -> np.ndarray:
        """-(u·∇)s in Fourier space, dealiased."""
        u, v = np.fft.ifft2(u_hat).real, np.fft.ifft2(v_hat).real
        s_x = np.fft.ifft2(1j * self.kx * scalar_hat).real
        s_y = np.fft.ifft2(1j * self.ky * scalar_hat).real
        return -np.fft.fft2(u * s_x + v * s_y) * self.dealias


def simulate_incompressible(
    n_trajectories: int,
    resolution: int = 64,
    n_frames: int = 21,
    t_end: float = 2.0,
    seed: int = 0,
    cfl: float = 0.5,
) -> Trajectories:
    """Fields (Vx, Vy, particles); ``extras['force']`` is the forcing (trajectory, y, x, 2)."""
    rng = np.random.default_rng(seed)
    grid = SpectralGrid(resolution)
    shape = (n_trajectories, resolution, resolution)
    force = 0.5 * np.stack([random_smooth_field(rng, shape, 2.0) for _ in range(2)], axis=-1)
    curl_force_hat = 1j * grid.kx * np.fft.fft2(force[..., 1]) - 1j * grid.ky * np.fft.fft2(
        force[..., 0]
    )
    vorticity = 2.0 * np.pi * random_smooth_field(rng, shape, 3.0)
    tracer = 0.5 + 0.5 * np.tanh(2.0 * random_smooth_field(rng, shape, 2.0))
    state = np.stack([np.fft.fft2(vorticity), np.fft.fft2(tracer)])
    damping = (
        np.stack([np.full(shape[1:], VISCOSITY), np.full(shape[1:], TRACER_DIFFUSIVITY)])[:, None]
        * grid.k2[None, None]
    )
    dx = 1.0 / resolution

    def tendency(state: np.ndarray) -> np.ndarray:
        u_hat, v_hat = grid.velocity(state[0])
        return np.stack(
            [
                grid.advection(u_hat, v_hat, state[0]) + curl_force_hat,
                grid.advection(u_hat, v_hat, state[1]),
            ]
        )

    def step(state: np.ndarray, dt: float) -> np.ndarray:
        decay = np.exp(-damping * dt)
        first = tendency(state)
        predictor = decay * (state + dt * first)
        return decay * state + 0.5 * dt * (decay * first + tendency(predictor))

    def max_dt(state: np.ndarray) -> float:
        u_hat, v_hat = grid.velocity(state[0])
        speed = np.abs(np.fft.ifft2(u_hat).real) + np.abs(np.fft.ifft2(v_hat).real)
        return cfl * dx / max(float(speed.max()), 1e-6)

    def record(state: np.ndarray) -> np.ndarray:
        u_hat, v_hat = grid.velocity(state[0])
        return np.stack(
            [np.fft.ifft2(u_hat).real, np.fft.ifft2(v_hat).real, np.fft.ifft2(state[1]).real],
            axis=-1,
        )

    times = frame_times(t_end, n_frames)
    frames = advance_to_frames(state, step, max_dt, times, record)
    x = cell_centres(resolution, 0.0, 1.0)
    return Trajectories(
        np.stack(frames, axis=1).astype(np.float32),
        times,
        x,
        x.copy(),
        extras={"force": force.astype(np.float32)},
    )
