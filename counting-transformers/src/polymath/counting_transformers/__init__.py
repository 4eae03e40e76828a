"""Contextual counting (Golkar et al., 2024): which transformers count the 1s in each region."""

from importlib.metadata import version

from polymath.counting_transformers.data import VOCAB, CountingSamples, generate
from polymath.counting_transformers.datamodule import CountingDataModule, CountingStream
from polymath.counting_transformers.model import CountingTransformer, CountingTransformerConfig
from polymath.counting_transformers.module import CountingModule

__version__ = version("polymath-counting-transformers")

__all__ = [
    "VOCAB",
    "CountingDataModule",
    "CountingModule",
    "CountingSamples",
    "CountingStream",
    "CountingTransformer",
    "CountingTransformerConfig",
    "__version__",
    "generate",
]
