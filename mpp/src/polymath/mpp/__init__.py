"""polymath.mpp: Multiple Physics Pretraining (McCabe et al. 2024) on polymath.foundation.

Names load on first use (PEP 562), so that the package's entry point (``package.py``) and
``polymath list`` do not import torch.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
