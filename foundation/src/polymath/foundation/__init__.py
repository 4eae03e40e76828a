"""polymath.foundation: training, tracking and streaming shared by every polymath package.

Names are imported on first use (PEP 562), so that ``from polymath.foundation.contract import
PaperPackage`` and the ``polymath`` command load neither torch, Lightning nor MLflow.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import Any

__version__ = version("polymath-foundation")

_EXPORTS = {
    "polymath.foundation.cache": ("cache_dir",),
    "polymath.foundation.config": ("ConfigError", "apply_overrides", "flatten"),
    "polymath.foundation.contract": (
        "BrokenPackageError",
        "PaperPackage",
        "Recipe",
        "UnknownPackageError",
        "UnknownRecipeError",
        "discover_packages",
        "get_package",
    ),
    "polymath.foundation.data": (
        "CorruptShardError",
        "Manifest",
        "ShardChecksumError",
        "ShardDataModule",
        "ShardLoader",
        "register_decoder",
        "shard_dataset",
        "worker_seed",
        "write_shards",
    ),
    "polymath.foundation.ensembles": ("EnsembleMLP", "MemberEarlyStopping", "MemberMean"),
    "polymath.foundation.ensembles.lightning": ("EnsembleModule",),
    "polymath.foundation.loading": ("ModelArgsInCheckpoint", "load_model", "log_model"),
    "polymath.foundation.metrics": ("NormalizedRMSE", "normalized_rmse"),
    "polymath.foundation.models": ("ModelFileError", "SavableModel"),
    "polymath.foundation.runner": ("RunContext", "RunResult", "default_experiment", "run_recipe"),
    "polymath.foundation.sweep": ("SweepSpec",),
    "polymath.foundation.tracking": ("TrackingUnavailableError",),
    "polymath.foundation.trainer_config": ("TrainerConfig",),
    "polymath.foundation.training": (
        "NonFiniteLossError",
        "NonFiniteLossGuard",
        "build_trainer",
        "fit",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["__version__", *sorted(_WHERE)]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'polymath.foundation' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
