"""What every solver returns: a batch of trajectories on a uniform grid."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Trajectories:
    """``fields`` is (trajectories, frames, y, x, fields) float32; ``t``, ``x``, ``y`` are coordinates."""

    fields: np.ndarray
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    """System-specific arrays the real files carry (e.g. the forcing of incompressible NS)."""

    @property
    def n_trajectories(self) -> int:
        return self.fields.shape[0]


def cell_centres(n: int, low: float, high: float) -> np.ndarray:
    dx = (high - low) / n
    return low + dx * (np.arange(n) + 0.5)


def frame_times(t_end: float, n_frames: int) -> np.ndarray:
    return np.linspace(0.0, t_end, n_frames)


def random_smooth_field(
    rng: np.random.Generator, shape: tuple[int, ...], k_peak: float = 3.0
) -> np.ndarray:
    """Periodic Gaussian random fields (batch, n, n), zero mean and unit std, energy near ``k_peak``."""
    n = shape[-1]
    k = np.fft.fftfreq(n, d=1.0 / n)
    kk = np.sqrt(k[:, None] ** 2 + k[None, :] ** 2)
    amplitude = np.exp(-0.5 * (kk / k_peak) ** 2)
    amplitude[0, 0] = 0.0
    noise = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    values = np.fft.ifft2(noise * amplitude).real
    values -= values.mean(axis=(-2, -1), keepdims=True)
    return values / values.std(axis=(-2, -1), keepdims=True)


def advance_to_frames(
    state: np.ndarray,
    step,
    max_dt,
    times: np.ndarray,
    record,
) -> list[np.ndarray]:
    """Steps ``state`` with ``step(state, dt)`` under ``max_dt(state)``, recording at ``times`` exactly."""
    frames = [record(state)]
    now = times[0]
    for target in times[1:]:
        while now < target - 1e-12:
            dt = min(max_dt(state), target - now)
            state = step(state, dt)
            now += dt
        frames.append(record(state))
    return frames
