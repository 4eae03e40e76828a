"""The entry point of the package in the polymath federation (data only: nothing heavy is imported)."""

from polymath.foundation.contract import PaperPackage

PACKAGE = PaperPackage(
    name="xval",
    distribution="polymath-xval",
    summary="xVal (Golkar et al. 2023): one continuous token per number, against four text "
    "encodings, on planets and arithmetic",
    module="polymath.xval.module:NumformerModule",
    datamodule="polymath.xval.data.datamodule:XvalDataModule",
    recipes="polymath.xval.recipes",
    report="polymath.xval.report:report",
)
