"""What polymath-likelihood-ratio registers in the entry-point group ``polymath.packages``."""

from polymath.foundation import PaperPackage
from polymath.likelihood_ratio.data import RatioDataModule
from polymath.likelihood_ratio.module import LikelihoodRatioEnsemble
from polymath.likelihood_ratio.recipes import RECIPES

PACKAGE = PaperPackage(
    name="likelihood-ratio",
    distribution="polymath-likelihood-ratio",
    summary="Learning likelihood ratios with neural network classifiers (Rizvi, Pettee, Nachman 2023)",
    module=LikelihoodRatioEnsemble,
    datamodule=RatioDataModule,
    recipes=RECIPES,
)
