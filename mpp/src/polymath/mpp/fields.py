"""The field registry: which embedding slot each physical field owns, and the datasets we know.

MPP's shared field embedding gives every field its own learned vector. The released weights use
slots 0-9 in the order of the reference's dataset registry (swe, incompNS, diffre2d, compNS);
velocities are *not* shared between incompressible and compressible data. Fields of any other
system are appended after slot 9, in the order they are first registered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Layout = Literal["pdebench-groups", "pdebench-ins", "pdebench-cns", "well"]

SYSTEM_FIELDS: dict[str, tuple[str, ...]] = {
    "swe": ("h",),
    "incompNS": ("Vx", "Vy", "particles"),
    "diffre2d": ("activator", "inhibitor"),
    "compNS": ("Vx", "Vy", "density", "pressure"),
    # Held out of pretraining: new fields, appended after the reference's slots.
    "advdiff": ("concentration",),
}
"""Field names of every system type, in registry order (slots are assigned in this order)."""

REFERENCE_SYSTEMS = ("swe", "incompNS", "diffre2d", "compNS")
REFERENCE_N_STATES = 12
"""The released weights have 12 input/output slots; 10 and 11 were never used in pretraining."""


def field_slots(system: str) -> list[int]:
    """The embedding slots of a system's fields (``compNS`` -> [6, 7, 8, 9])."""
    if system not in SYSTEM_FIELDS:
        raise ValueError(f"unknown system {system!r} (known: {', '.join(SYSTEM_FIELDS)})")
    start = 0
    for name, fields in SYSTEM_FIELDS.items():
        if name == system:
            return list(range(start, start + len(fields)))
        start += len(fields)
    raise AssertionError("unreachable")


def n_slots() -> int:
    """Slots needed to hold every registered field."""
    return sum(len(fields) for fields in SYSTEM_FIELDS.values())


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: a system type, how its files are laid out, and which files belong to it."""

    name: str
    system: str
    layout: Layout
    pattern: str
    """A substring of the paths of the dataset's files."""
    periodic: bool
    filter: str = ""
    """A further substring the paths must hold (the reference's filename filter), from a name
    such as ``cns_m1.0:512``: PDEBench's compressible files come at 128² and 512², and one dataset
    (one micro-batch) holds one resolution."""

    @property
    def base(self) -> str:
        """The dataset's name without its filter (the simulator's name)."""
        return self.name.split(":")[0]

    @property
    def fields(self) -> tuple[str, ...]:
        return SYSTEM_FIELDS[self.system]

    @property
    def slots(self) -> list[int]:
        return field_slots(self.system)


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("swe", "swe", "pdebench-groups", "2D_rdb_", periodic=False),
        DatasetSpec("diffre2d", "diffre2d", "pdebench-groups", "2D_diff-react_", periodic=False),
        DatasetSpec("incompNS", "incompNS", "pdebench-ins", "ns_incom_inhom_2d", periodic=True),
        DatasetSpec("cns_m0.1", "compNS", "pdebench-cns", "_M0.1_", periodic=True),
        DatasetSpec("cns_m1.0", "compNS", "pdebench-cns", "_M1.0_", periodic=True),
        DatasetSpec("advdiff", "advdiff", "well", "advection_diffusion", periodic=True),
    )
}
"""Datasets by name; the patterns match the file names of the published PDEBench files."""


def get_dataset(name: str) -> DatasetSpec:
    """A dataset by name; ``name:filter`` keeps only the files whose path holds ``filter``."""
    base, _, path_filter = name.partition(":")
    if base not in DATASETS:
        raise ValueError(f"unknown dataset {base!r} (known: {', '.join(DATASETS)})")
    return replace(DATASETS[base], name=name, filter=path_filter)
