"""The entry point of the package in the polymath federation."""

from polymath.counting_transformers.datamodule import CountingDataModule
from polymath.counting_transformers.module import CountingModule
from polymath.counting_transformers.recipes import RECIPES
from polymath.counting_transformers.report import report
from polymath.foundation import PaperPackage

PACKAGE = PaperPackage(
    name="counting-transformers",
    distribution="polymath-counting-transformers",
    summary="Contextual counting (Golkar et al. 2024): causal vs non-causal transformers and "
    "positional encodings",
    module=CountingModule,
    datamodule=CountingDataModule,
    recipes=RECIPES,
    report=report,
)
