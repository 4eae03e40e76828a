"""polymath.mpp: Multiple Physics Pretraining (McCabe et al. 2024) on polymath.foundation.

Names load on first use (PEP 562), so that the package's entry point (``package.py``) and
``polymath list`` do not import torch.
"""

from __future__ import annotations

from importlib.metadata import version

from polymath.foundation.lazy import lazy_attributes

__version__ = version("polymath-mpp")

_WHERE = {
    "AViT": "model",
    "CheckpointError": "checkpoint",
    "DATASETS": "fields",
    "FormatError": "data.formats",
    "MPPDataModule": "data.datamodule",
    "MPPModule": "module",
    "PRESETS": "model",
    "field_slots": "fields",
    "load_reference_checkpoint": "checkpoint",
    "rollout": "rollout",
    "rollout_nrmse": "rollout",
}

__all__ = ["__version__", *sorted(_WHERE)]

__getattr__ = lazy_attributes(__name__, _WHERE)
