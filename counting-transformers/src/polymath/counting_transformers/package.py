"""The entry point of the package in the polymath federation (data only: nothing heavy is imported)."""

from polymath.foundation.contract import PaperPackage

PACKAGE = PaperPackage(
    name="counting-transformers",
    distribution="polymath-counting-transformers",
    summary="Contextual counting (Golkar et al. 2024): causal vs non-causal transformers and "
    "positional encodings",
    module="polymath.counting_transformers.module:CountingModule",
    datamodule="polymath.counting_transformers.datamodule:CountingDataModule",
    recipes="polymath.counting_transformers.recipes",
    report="polymath.counting_transformers.report:report",
    check="polymath.counting_transformers.module:check_recipe",
)
