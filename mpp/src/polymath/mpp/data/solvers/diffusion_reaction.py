"""Diffusion-reaction of FitzHugh-Nagumo type, as in PDEBench's ``2D_diff-react``, with no-flux walls.

u_t = Du Δu + u - u³ - k - v,  v_t = Dv Δv + u - v  on [-1, 1]², Du = 1e-3, Dv = 5e-3, k = 5e-3,
started from standard normal noise. Explicit Euler with a five-point Laplacian; the no-flux walls
are mirror ghost cells.
"""

from __future__ import annotations

import numpy as np

from polymath.mpp.data.solvers.trajectories import (
    Trajectories,
    advance_to_frames,
    cell_centres,
    frame_times,
)

DOMAIN = (-1.0, 1.0)
DU, DV, K = 1e-3, 5e-3, 5e-3


def neumann_laplacian(values: np.ndarray, dx: float) -> np.ndarray:
    """Five-point Laplacian over the last two axes with zero normal gradient at the walls."""
    widths = [(0, 0)] * (values.ndim - 2) + [(1, 1), (1, 1)]
    padded = np.pad(values, widths, mode="edge")
    return (
        padded[..., :-2, 1:-1]
        + padded[..., 2:, 1:-1]
        + padded[..., 1:-1, :-2]
        + padded[..., 1:-1, 2:]
        - 4.0 * values
    ) / dx**2


def simulate_diffusion_reaction(
    n_trajectories: int,
    resolution: int = 64,
    n_frames: int = 21,
    t_end: float = 5.0,
    seed: int = 0,
    reaction: bool = True,
    initial: np.ndarray | None = None,
) -> Trajectories:
    """Fields (activator, inhibitor); ``reaction=False`` leaves pure diffusion (for tests)."""
    rng = np.random.default_rng(seed)
    dx = (DOMAIN[1] - DOMAIN[0]) / resolution
    diffusivity = np.array([DU, DV])[:, None, None, None]
    state = (
        rng.standard_normal((2, n_trajectories, resolution, resolution))
        if initial is None
        else np.asarray(initial, dtype=np.float64)
    )

    def step(state: np.ndarray, dt: float) -> np.ndarray:
        change = diffusivity * neumann_laplacian(state, dx)
        if reaction:
            u, v = state
            change += np.stack([u - u**3 - K - v, u - v])
        return state + dt * change

    def max_dt(state: np.ndarray) -> float:
        diffusive = 0.2 * dx**2 / DV
        if not reaction:
            return diffusive
        stiffness = 1.0 + 3.0 * float(np.max(state[0] ** 2))
        return min(diffusive, 0.5 / stiffness)

    times = frame_times(t_end, n_frames)
    frames = advance_to_frames(state, step, max_dt, times, lambda s: np.moveaxis(s, 0, -1))
    x = cell_centres(resolution, *DOMAIN)
    return Trajectories(np.stack(frames, axis=1).astype(np.float32), times, x, x.copy())
