"""Planetary systems integrated with REBOUND, one record per system, in the reference's layout.

A star of mass 1 (G = 1) with 2–5 planets: masses U(1e-5, 5e-5), semi-major axes evenly spaced
from 1 to ``a_max`` ~ U(1.5, 3), eccentricities U(0, 0.1), angles uniform (all zero with
probability 0.3), the planets listed in random order. The system is integrated (WHFast) over
15–24 inner orbits and sampled at 30–59 evenly spaced times. A record is
``{"description": {"planet0": {"m", "a", "e"}, ..., "stepsize"}, "data": [[[x, y] per planet]
per step]}``. Systems with any |coordinate| >= ``max_coordinate`` are rejected and drawn again:
unlike the reference, which tested one draw and kept another, the test applies to the kept one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import rebound

INNER_PERIOD = 2 * math.pi  # a = 1 around a unit mass with G = 1


@dataclass(frozen=True)
class PlanetConfig:
    """Ranges of the generator; ``ood_band`` is a held-out interval of ``a_max``."""

    n_planets: tuple[int, int] = (2, 5)
    n_steps: tuple[int, int] = (30, 59)
    orbits: tuple[float, float] = (15.0, 24.0)
    mass: tuple[float, float] = (1e-5, 5e-5)
    a_max: tuple[float, float] = (1.5, 3.0)
    eccentricity: tuple[float, float] = (0.0, 0.1)
    zero_angles: float = 0.3
    max_coordinate: float = 10.0
    ood_band: tuple[float, float] | None = None


@dataclass(frozen=True)
class Integration:
    record: dict
    energy_error: float


def integrate(
    masses: np.ndarray,
    semi_major: np.ndarray,
    eccentricity: np.ndarray,
    angles: np.ndarray,
    n_steps: int,
    orbits: float,
) -> Integration:
    """One system sampled at ``n_steps`` times over ``orbits`` inner periods; relative energy drift."""
    sim = rebound.Simulation()
    sim.add(m=1.0)
    for m, a, e, (inc, omega, Omega, f) in zip(
        masses, semi_major, eccentricity, angles, strict=True
    ):
        sim.add(m=float(m), a=float(a), e=float(e), inc=inc, omega=omega, Omega=Omega, f=f)
    sim.move_to_com()
    sim.integrator = "whfast"
    sim.dt = INNER_PERIOD / 200
    energy = sim.energy()
    stepsize = orbits * INNER_PERIOD / n_steps
    data = []
    for step in range(n_steps):
        sim.integrate(step * stepsize, exact_finish_time=1)
        data.append([[p.x, p.y] for p in sim.particles[1:]])
    description = {
        f"planet{i}": {"m": float(m), "a": float(a), "e": float(e)}
        for i, (m, a, e) in enumerate(zip(masses, semi_major, eccentricity, strict=True))
    }
    record = {"description": {**description, "stepsize": stepsize}, "data": data}
    drift = abs((sim.energy() - energy) / energy)
    return Integration(record, drift)


def _draw(rng: np.random.Generator, config: PlanetConfig, band: str) -> tuple:
    n = int(rng.integers(config.n_planets[0], config.n_planets[1] + 1))
    a_max = _draw_a_max(rng, config, band)
    semi_major = np.linspace(1.0, a_max, n)
    order = rng.permutation(n)
    masses = rng.uniform(*config.mass, size=n)[order]
    eccentricity = rng.uniform(*config.eccentricity, size=n)[order]
    angles = np.zeros((n, 4))
    if rng.random() >= config.zero_angles:
        angles = rng.uniform(0.0, 2 * math.pi, size=(n, 4))
        angles[:, 0] = rng.uniform(0.0, math.pi, size=n)  # inclination in [0, pi)
    steps = int(rng.integers(config.n_steps[0], config.n_steps[1] + 1))
    orbits = float(rng.uniform(*config.orbits))
    return masses, semi_major[order], eccentricity, angles[order], steps, orbits


def _draw_a_max(rng: np.random.Generator, config: PlanetConfig, band: str) -> float:
    """``band``: "all", "train" (outside ``ood_band``) or "ood" (inside it)."""
    if config.ood_band is None or band == "all":
        return float(rng.uniform(*config.a_max))
    low, high = config.ood_band
    if band == "ood":
        return float(rng.uniform(low, high))
    while True:
        value = float(rng.uniform(*config.a_max))
        if not low <= value <= high:
            return value


def generate_planets(
    count: int, seed: int, config: PlanetConfig = PlanetConfig(), band: str = "all"
) -> Iterator[dict]:
    """``count`` records; each kept record passes the coordinate test itself."""
    rng = np.random.default_rng(seed)
    made = 0
    while made < count:
        result = integrate(*_draw(rng, config, band))
        if within(result.record, config.max_coordinate):
            made += 1
            yield result.record


def within(record: dict, max_coordinate: float) -> bool:
    return bool(np.all(np.abs(np.asarray(record["data"])) < max_coordinate))


PLANET_WORDS = (
    "'description':",
    "'data':",
    "'stepsize':",
    "'m':",
    "'a':",
    "'e':",
    *(f"'planet{i}':" for i in range(10)),
    "[[[",
    "]]]",
    "[[",
    "]]",
    "],[",
    "]],[[",
    "]]],[[[",
)
