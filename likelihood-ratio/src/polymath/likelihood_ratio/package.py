"""What polymath-likelihood-ratio registers in ``polymath.packages`` (data only: nothing heavy)."""

from polymath.foundation.contract import PaperPackage

PACKAGE = PaperPackage(
    name="likelihood-ratio",
    distribution="polymath-likelihood-ratio",
    summary="Learning likelihood ratios with neural network classifiers (Rizvi, Pettee, Nachman 2023)",
    module="polymath.likelihood_ratio.module:LikelihoodRatioEnsemble",
    datamodule="polymath.likelihood_ratio.data:RatioDataModule",
    recipes="polymath.likelihood_ratio.recipes",
    check="polymath.likelihood_ratio.experiments:check_objectives",
)
