"""polymath.likelihood_ratio: learning likelihood ratios with neural network classifiers (arXiv 2305.10500).

Names load on first use (PEP 562), so that the entry point (``package.py``) and ``polymath list``
do not import torch.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import Any

__version__ = version("polymath-likelihood-ratio")

_WHERE = {
    "RatioDataModule": "data",
    "get_dataset": "data",
    "LOSSES": "losses",
    "LossFunctional": "losses",
    "Objective": "losses",
    "get_loss": "losses",
    "RatioMLP": "model",
    "LikelihoodRatioEnsemble": "module",
    "PARAMETRIZATIONS": "parametrizations",
    "get_parametrization": "parametrizations",
}

__all__ = ["__version__", *sorted(_WHERE)]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
