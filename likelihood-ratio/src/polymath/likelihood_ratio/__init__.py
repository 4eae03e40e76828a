"""polymath.likelihood_ratio: learning likelihood ratios with neural network classifiers (arXiv 2305.10500).

Names load on first use (PEP 562), so that the entry point (``package.py``) and ``polymath list``
do not import torch.
"""

from __future__ import annotations

from importlib.metadata import version

from polymath.foundation.lazy import lazy_attributes

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

__getattr__ = lazy_attributes(__name__, _WHERE)
