"""polymath.cwola_streams: weakly supervised stellar-stream search with CWoLa (Pettee et al. 2023).

Names load on first use (PEP 562), so that the package's entry point (``package.py``) and
``polymath list`` do not import torch.
"""

from __future__ import annotations

from importlib.metadata import version

from polymath.foundation.lazy import lazy_attributes

__version__ = version("polymath-cwola-streams")

_WHERE = {
    "CWoLaClassifier": "model",
    "CWoLaModule": "module",
    "NestedFolds": "folds",
    "Patch": "data",
    "PatchDataModule": "data.datamodule",
    "StreamModel": "data.simulate",
    "Window": "windows",
    "label_members": "data",
    "load_members": "data",
    "load_patch": "data",
    "nested_folds": "folds",
    "oracle_window": "windows",
    "patch_scores": "pipeline",
    "save_patch": "data",
    "scan_windows": "windows",
    "select_candidates": "selection",
    "simulate_patch": "data.simulate",
    "top_n_purity": "pipeline",
    "window_significance": "windows",
}

__all__ = ["__version__", *sorted(_WHERE)]

__getattr__ = lazy_attributes(__name__, _WHERE)
