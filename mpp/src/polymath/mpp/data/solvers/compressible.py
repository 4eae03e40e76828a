"""Compressible Euler equations on the periodic unit square (PDEBench's ``2D_CFD_Rand``).

PDEBench's random sets use η = ζ = 1e-8, so the inviscid equations are the same physics. Finite
volumes: MUSCL reconstruction of the primitive variables with the minmod limiter, the HLL flux,
SSP-RK2 in time. On a periodic grid the fluxes telescope, so mass, momentum and total energy are
conserved to round-off (the tests check it). Initial states are random smooth density, pressure and
velocity fields scaled to a chosen Mach number.
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

GAMMA = 5.0 / 3.0


def to_primitive(conserved: np.ndarray) -> np.ndarray:
    """(ρ, ρu, ρv, E) -> (ρ, u, v, p), stacked on axis 0."""
    rho, mx, my, energy = conserved
    u, v = mx / rho, my / rho
    pressure = (GAMMA - 1.0) * (energy - 0.5 * rho * (u * u + v * v))
    return np.stack([rho, u, v, pressure])


def to_conserved(primitive: np.ndarray) -> np.ndarray:
    rho, u, v, pressure = primitive
    energy = pressure / (GAMMA - 1.0) + 0.5 * rho * (u * u + v * v)
    return np.stack([rho, rho * u, rho * v, energy])


def _minmod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(a * b > 0, np.sign(a) * np.minimum(np.abs(a), np.abs(b)), 0.0)


def _euler_flux(primitive: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Flux along ``axis`` and the conserved state, from primitive variables."""
    _rho, u, v, pressure = primitive
    normal = u if axis == -1 else v
    conserved = to_conserved(primitive)
    flux = conserved * normal
    flux[1 if axis == -1 else 2] += pressure
    flux[3] += pressure * normal
    return flux, conserved


def _hll_divergence(conserved: np.ndarray, dx: float) -> np.ndarray:
    primitive = to_primitive(conserved)
    change = np.zeros_like(conserved)
    for axis in (-1, -2):
        slope = _minmod(
            primitive - np.roll(primitive, 1, axis), np.roll(primitive, -1, axis) - primitive
        )
        left = primitive + 0.5 * slope  # state at the right face of each cell
        right = np.roll(primitive - 0.5 * slope, -1, axis)  # next cell's left face
        flux_l, state_l = _euler_flux(left, axis)
        flux_r, state_r = _euler_flux(right, axis)
        normal = 1 if axis == -1 else 2
        sound_l = np.sqrt(GAMMA * left[3] / left[0])
        sound_r = np.sqrt(GAMMA * right[3] / right[0])
        slow = np.minimum(left[normal] - sound_l, right[normal] - sound_r)
        fast = np.maximum(left[normal] + sound_l, right[normal] + sound_r)
        s_l, s_r = np.minimum(slow, 0.0), np.maximum(fast, 0.0)
        flux = (s_r * flux_l - s_l * flux_r + s_l * s_r * (state_r - state_l)) / (s_r - s_l)
        change -= (flux - np.roll(flux, 1, axis)) / dx
    return change


def random_initial_state(
    rng: np.random.Generator, n_trajectories: int, resolution: int, mach: float
) -> np.ndarray:
    """Conserved state (4, batch, y, x): ρ and p vary by ±~30 %, velocity rms = mach × sound speed."""
    shape = (n_trajectories, resolution, resolution)
    rho = np.exp(0.15 * random_smooth_field(rng, shape, 3.0))
    pressure = np.exp(0.15 * random_smooth_field(rng, shape, 3.0))
    velocity = np.stack([random_smooth_field(rng, shape, 3.0) for _ in range(2)])
    speed = np.sqrt((velocity**2).sum(0).mean(axis=(-2, -1), keepdims=True))
    sound = np.sqrt(GAMMA * pressure.mean(axis=(-2, -1), keepdims=True))
    velocity *= mach * sound / speed
    return to_conserved(np.stack([rho, velocity[0], velocity[1], pressure]))


def simulate_compressible(
    n_trajectories: int,
    resolution: int = 64,
    n_frames: int = 21,
    t_end: float = 1.0,
    seed: int = 0,
    mach: float = 0.1,
    cfl: float = 0.4,
    initial: np.ndarray | None = None,
) -> Trajectories:
    """Fields (Vx, Vy, density, pressure), the PDEBench order of the compressible files."""
    rng = np.random.default_rng(seed)
    dx = 1.0 / resolution
    state = (
        random_initial_state(rng, n_trajectories, resolution, mach) if initial is None else initial
    )

    def step(state: np.ndarray, dt: float) -> np.ndarray:
        predictor = state + dt * _hll_divergence(state, dx)
        return 0.5 * (state + predictor + dt * _hll_divergence(predictor, dx))

    def max_dt(state: np.ndarray) -> float:
        rho, u, v, pressure = to_primitive(state)
        sound = np.sqrt(GAMMA * pressure / rho)
        return cfl * dx / float((np.maximum(np.abs(u), np.abs(v)) + sound).max())

    def record(state: np.ndarray) -> np.ndarray:
        rho, u, v, pressure = to_primitive(state)
        return np.stack([u, v, rho, pressure], axis=-1)

    times = frame_times(t_end, n_frames)
    frames = advance_to_frames(state, step, max_dt, times, record)
    x = cell_centres(resolution, 0.0, 1.0)
    return Trajectories(np.stack(frames, axis=1).astype(np.float32), times, x, x.copy())
