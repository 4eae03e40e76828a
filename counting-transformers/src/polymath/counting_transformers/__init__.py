"""Contextual counting (Golkar et al., 2024): which transformers count the 1s in each region.

Names load on first use (PEP 562), so that the package's entry point (``package.py``) and
``polymath list`` do not import torch.
"""

from __future__ import annotations

from importlib.metadata import version

from polymath.foundation.lazy import lazy_attributes

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

__getattr__ = lazy_attributes(__name__, _WHERE)
