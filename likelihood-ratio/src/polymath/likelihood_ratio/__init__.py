"""polymath.likelihood_ratio: learning likelihood ratios with neural network classifiers (arXiv 2305.10500)."""

from importlib.metadata import version

from polymath.likelihood_ratio.data import RatioDataModule, get_dataset
from polymath.likelihood_ratio.losses import LOSSES, LossFunctional, Objective, get_loss
from polymath.likelihood_ratio.model import RatioMLP
from polymath.likelihood_ratio.module import LikelihoodRatioEnsemble
from polymath.likelihood_ratio.parametrizations import PARAMETRIZATIONS, get_parametrization

__version__ = version("polymath-likelihood-ratio")

__all__ = [
    "LOSSES",
    "PARAMETRIZATIONS",
    "LikelihoodRatioEnsemble",
    "LossFunctional",
    "Objective",
    "RatioDataModule",
    "RatioMLP",
    "__version__",
    "get_dataset",
    "get_loss",
    "get_parametrization",
]
