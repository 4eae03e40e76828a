"""polymath.xval: one continuous token per number (xVal), its four text baselines, and the tasks
that compare them (Golkar et al. 2023)."""

from importlib.metadata import version

from polymath.xval.encodings import ENCODINGS, number_pieces, number_vocabulary
from polymath.xval.model import Numformer
from polymath.xval.numbers import NumberText, extract_numbers
from polymath.xval.scaler import KeyScaler
from polymath.xval.tokenizer import NumberTokenizer

__version__ = version("polymath-xval")

__all__ = [
    "ENCODINGS",
    "KeyScaler",
    "NumberText",
    "NumberTokenizer",
    "Numformer",
    "__version__",
    "extract_numbers",
    "number_pieces",
    "number_vocabulary",
]
