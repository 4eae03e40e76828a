"""polymath.xval: one continuous token per number (xVal), its four text baselines, and the tasks
that compare them (Golkar et al. 2023).

Names load on first use (PEP 562), so that the package's entry point (``package.py``) and
``polymath list`` do not import torch.
"""

from __future__ import annotations

from importlib.metadata import version

from polymath.foundation.lazy import lazy_attributes

__version__ = version("polymath-xval")

_WHERE = {
    "ENCODINGS": "encodings",
    "KeyScaler": "scaler",
    "NumberText": "numbers",
    "NumberTokenizer": "tokenizer",
    "Numformer": "model",
    "extract_numbers": "numbers",
    "number_pieces": "encodings",
    "number_vocabulary": "encodings",
}

__all__ = ["__version__", *sorted(_WHERE)]

__getattr__ = lazy_attributes(__name__, _WHERE)
