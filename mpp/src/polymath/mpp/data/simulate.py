"""Seeded simulators of the datasets, by dataset name (see ``polymath.mpp.fields.DATASETS``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from polymath.mpp.data.solvers.advection_diffusion import simulate_advection_diffusion
from polymath.mpp.data.solvers.compressible import simulate_compressible
from polymath.mpp.data.solvers.diffusion_reaction import simulate_diffusion_reaction
from polymath.mpp.data.solvers.incompressible import simulate_incompressible
from polymath.mpp.data.solvers.shallow_water import simulate_shallow_water
from polymath.mpp.data.solvers.trajectories import Trajectories

SIMULATORS: dict[str, Callable[..., Trajectories]] = {
    "swe": simulate_shallow_water,
    "diffre2d": simulate_diffusion_reaction,
    "incompNS": simulate_incompressible,
    "cns_m0.1": partial(simulate_compressible, mach=0.1),
    "cns_m1.0": partial(simulate_compressible, mach=1.0),
    "advdiff": simulate_advection_diffusion,
}


def simulate(
    dataset: str, n_trajectories: int, resolution: int, n_frames: int, seed: int = 0
) -> Trajectories:
    """Simulates ``n_trajectories`` of a dataset at ``resolution``², ``n_frames`` frames each."""
    if dataset not in SIMULATORS:
        raise ValueError(f"no simulator for {dataset!r} (known: {', '.join(SIMULATORS)})")
    return SIMULATORS[dataset](
        n_trajectories=n_trajectories, resolution=resolution, n_frames=n_frames, seed=seed
    )
