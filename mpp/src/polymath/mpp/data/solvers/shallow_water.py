"""Shallow water, radial dam break (PDEBench's ``2D_rdb``), with closed walls.

Finite volumes with the Rusanov flux and Heun time stepping. The walls are mirror ghost cells
(normal momentum reversed), so no mass crosses them: the total water volume is conserved to
round-off, which is what the tests check.
"""

from __future__ import annotations

import numpy as np

from polymath.mpp.data.solvers.trajectories import (
    Trajectories,
    advance_to_frames,
    cell_centres,
    frame_times,
)

GRAVITY = 1.0
DOMAIN = (-2.5, 2.5)


def dam_break_initial(rng: np.random.Generator, n_trajectories: int, resolution: int) -> np.ndarray:
    """State (3, batch, y, x) = (h, hu, hv): h = 2 inside a random radius, 1 outside, at rest."""
    x = cell_centres(resolution, *DOMAIN)
    radius = np.hypot(x[None, :], x[:, None])
    dam = rng.uniform(0.3, 0.7, size=(n_trajectories, 1, 1))
    h = np.where(radius[None] < dam, 2.0, 1.0)
    return np.stack([h, np.zeros_like(h), np.zeros_like(h)])


def _flux(state: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Physical flux along ``axis`` (-1: x, -2: y) and the fastest wave speed per cell."""
    h, hu, hv = state
    normal, tangent = (hu, hv) if axis == -1 else (hv, hu)
    velocity = normal / h
    momentum_flux = normal * velocity + 0.5 * GRAVITY * h * h
    flux = (
        (normal, momentum_flux, tangent * velocity)
        if axis == -1
        else (
            normal,
            tangent * velocity,
            momentum_flux,
        )
    )
    return np.stack(flux), np.abs(velocity) + np.sqrt(GRAVITY * h)


def _with_walls(state: np.ndarray, axis: int) -> np.ndarray:
    """One mirror ghost cell on each side of ``axis``; the normal momentum changes sign."""
    widths = [(0, 0)] * state.ndim
    widths[axis] = (1, 1)
    padded = np.pad(state, widths, mode="edge")
    normal = 1 if axis == -1 else 2
    first = [slice(None)] * state.ndim
    last = [slice(None)] * state.ndim
    first[0] = last[0] = normal
    first[axis], last[axis] = 0, -1
    padded[tuple(first)] *= -1
    padded[tuple(last)] *= -1
    return padded


def _divergence(state: np.ndarray, dx: float) -> np.ndarray:
    change = np.zeros_like(state)
    for axis in (-1, -2):
        padded = _with_walls(state, axis)
        left = np.take(padded, np.arange(padded.shape[axis] - 1), axis=axis)
        right = np.take(padded, np.arange(1, padded.shape[axis]), axis=axis)
        flux_left, speed_left = _flux(left, axis)
        flux_right, speed_right = _flux(right, axis)
        speed = np.maximum(speed_left, speed_right)
        flux = 0.5 * (flux_left + flux_right) - 0.5 * speed * (right - left)
        change -= np.diff(flux, axis=axis) / dx
    return change


def simulate_shallow_water(
    n_trajectories: int,
    resolution: int = 64,
    n_frames: int = 21,
    t_end: float = 1.0,
    seed: int = 0,
    cfl: float = 0.4,
) -> Trajectories:
    """Radial dam breaks with random dam radii; fields (h,)."""
    rng = np.random.default_rng(seed)
    dx = (DOMAIN[1] - DOMAIN[0]) / resolution

    def step(state: np.ndarray, dt: float) -> np.ndarray:
        predictor = state + dt * _divergence(state, dx)
        return 0.5 * (state + predictor + dt * _divergence(predictor, dx))

    def max_dt(state: np.ndarray) -> float:
        h, hu, hv = state
        speed = np.maximum(np.abs(hu), np.abs(hv)) / h + np.sqrt(GRAVITY * h)
        return cfl * dx / (2.0 * float(speed.max()))

    times = frame_times(t_end, n_frames)
    frames = advance_to_frames(
        dam_break_initial(rng, n_trajectories, resolution), step, max_dt, times, lambda s: s[0]
    )
    fields = np.stack(frames, axis=1)[..., None].astype(np.float32)
    x = cell_centres(resolution, *DOMAIN)
    return Trajectories(fields, times, x, x.copy())
