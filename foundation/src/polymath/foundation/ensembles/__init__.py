"""Batched ensembles: K small models trained as one, with per-member early stopping and metrics.

Plain torch: ``EnsembleLinear``, ``EnsembleMLP``, ``MemberEarlyStopping``, ``MemberMean``,
``member_mean``, ``per_member``; ``retain_freed_memory`` for large ensembles on CPUs.
Lightning: ``EnsembleModule`` (from ``polymath.foundation.ensembles.lightning``, or lazily from here).
"""

from __future__ import annotations

from typing import Any

from polymath.foundation.ensembles.layers import EnsembleLinear, EnsembleMLP, member_generator
from polymath.foundation.ensembles.memory import retain_freed_memory
from polymath.foundation.ensembles.metrics import MemberMean, member_mean, per_member
from polymath.foundation.ensembles.stopping import MemberEarlyStopping

__all__ = [
    "EnsembleLinear",
    "EnsembleMLP",
    "EnsembleModule",
    "MemberEarlyStopping",
    "MemberMean",
    "member_generator",
    "member_mean",
    "per_member",
    "retain_freed_memory",
]


def __getattr__(name: str) -> Any:
    if name == "EnsembleModule":
        from polymath.foundation.ensembles.lightning import EnsembleModule

        return EnsembleModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
