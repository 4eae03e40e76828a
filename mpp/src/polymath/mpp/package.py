"""The entry point of the package in the polymath federation (foundation's 0.2 contract)."""

from polymath.foundation.contract import PaperPackage

PACKAGE = PaperPackage(
    name="mpp",
    distribution="polymath-mpp",
    summary="Multiple Physics Pretraining (McCabe et al. 2024): one AViT surrogate for several PDE systems",
    module="polymath.mpp.module:MPPModule",
    datamodule="polymath.mpp.data.datamodule:MPPDataModule",
    recipes="polymath.mpp.recipes",
    report="polymath.mpp.report:report",
)
