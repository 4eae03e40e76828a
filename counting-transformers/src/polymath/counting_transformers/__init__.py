"""Contextual counting (Golkar et al., 2024): which transformers count the 1s in each region.

Names load on first use (PEP 562), so that the package's entry point (``package.py``) and
``polymath list`` do not import torch.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import Any

__version__ = version("polymath-counting-transformers")

_WHERE = {
    "VOCAB": "data",
    "CountingSamples": "data",
    "generate": "data",
    "CountingDataModule": "datamodule",
    "CountingStream": "datamodule",
    "CountingTransformer": "model",
    "CountingTransformerConfig": "model",
    "CountingModule": "module",
}

__all__ = ["__version__", *sorted(_WHERE)]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
