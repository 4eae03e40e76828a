"""polymath.foundation: training, tracking and streaming shared by every polymath package."""

from importlib.metadata import version

from polymath.foundation.config import ConfigError, apply_overrides, flatten
from polymath.foundation.contract import (
    PaperPackage,
    Recipe,
    UnknownPackageError,
    UnknownRecipeError,
    discover_packages,
    get_package,
)
from polymath.foundation.data import (
    CorruptShardError,
    Manifest,
    ShardChecksumError,
    ShardDataModule,
    shard_dataset,
    worker_seed,
    write_shards,
)
from polymath.foundation.ensembles import EnsembleMLP, MemberEarlyStopping, MemberMean
from polymath.foundation.ensembles.lightning import EnsembleModule
from polymath.foundation.metrics import NormalizedRMSE, normalized_rmse
from polymath.foundation.runner import RunContext, RunResult, default_experiment, run_recipe
from polymath.foundation.tracking import TrackingUnavailableError
from polymath.foundation.training import (
    NonFiniteLossError,
    NonFiniteLossGuard,
    TrainerConfig,
    build_trainer,
    fit,
)

__version__ = version("polymath-foundation")

__all__ = [
    "ConfigError",
    "CorruptShardError",
    "EnsembleMLP",
    "EnsembleModule",
    "Manifest",
    "MemberEarlyStopping",
    "MemberMean",
    "NonFiniteLossError",
    "NonFiniteLossGuard",
    "NormalizedRMSE",
    "PaperPackage",
    "Recipe",
    "RunContext",
    "RunResult",
    "ShardChecksumError",
    "ShardDataModule",
    "TrackingUnavailableError",
    "TrainerConfig",
    "UnknownPackageError",
    "UnknownRecipeError",
    "__version__",
    "apply_overrides",
    "build_trainer",
    "default_experiment",
    "discover_packages",
    "fit",
    "flatten",
    "get_package",
    "normalized_rmse",
    "run_recipe",
    "shard_dataset",
    "worker_seed",
    "write_shards",
]
