"""polymath.xval: one continuous token per number (xVal), its four text baselines, and the tasks
that compare them (Golkar et al. 2023).

Names load on first use (PEP 562), so that the package's entry point (``package.py``) and
``polymath list`` do not import torch.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import Any

__version__ = version("polymath-xval")

_WHERE = {
    "ENCODINGS": "encodings",
    "KeyScaler": "scaler",
    "NumberText": "numbers",
    "NumberTokenizer": "tokenizer",
    "Numformer": "model",
    "extract_numbers": "numbers",
    "number_pieces": "encodings",
    "number_vocabulary": "encodings",
}

__all__ = ["__version__", *sorted(_WHERE)]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
