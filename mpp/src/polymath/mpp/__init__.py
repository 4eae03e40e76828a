"""polymath.mpp: Multiple Physics Pretraining (McCabe et al. 2024) on polymath.foundation."""

from importlib.metadata import version

from polymath.mpp.checkpoint import CheckpointError, load_reference_checkpoint
from polymath.mpp.data.datamodule import MPPDataModule
from polymath.mpp.data.formats import FormatError
from polymath.mpp.fields import DATASETS, field_slots
from polymath.mpp.model import PRESETS, AViT
from polymath.mpp.module import MPPModule
from polymath.mpp.rollout import rollout, rollout_nrmse

__version__ = version("polymath-mpp")

__all__ = [
    "DATASETS",
    "PRESETS",
    "AViT",
    "CheckpointError",
    "FormatError",
    "MPPDataModule",
    "MPPModule",
    "__version__",
    "field_slots",
    "load_reference_checkpoint",
    "rollout",
    "rollout_nrmse",
]
