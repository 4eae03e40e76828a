"""polymath.cwola_streams: weakly supervised stellar-stream search with CWoLa (Pettee et al. 2023)."""

from importlib.metadata import version

from polymath.cwola_streams.data import Patch, label_members, load_members, load_patch, save_patch
from polymath.cwola_streams.data.datamodule import PatchDataModule
from polymath.cwola_streams.data.simulate import StreamModel, simulate_patch
from polymath.cwola_streams.folds import NestedFolds, nested_folds
from polymath.cwola_streams.model import CWoLaClassifier
from polymath.cwola_streams.module import CWoLaModule
from polymath.cwola_streams.pipeline import patch_scores, top_n_purity
from polymath.cwola_streams.selection import select_candidates
from polymath.cwola_streams.windows import Window, oracle_window, scan_windows, window_significance

__version__ = version("polymath-cwola-streams")

__all__ = [
    "CWoLaClassifier",
    "CWoLaModule",
    "NestedFolds",
    "Patch",
    "PatchDataModule",
    "StreamModel",
    "Window",
    "__version__",
    "label_members",
    "load_members",
    "load_patch",
    "nested_folds",
    "oracle_window",
    "patch_scores",
    "save_patch",
    "scan_windows",
    "select_candidates",
    "simulate_patch",
    "top_n_purity",
    "window_significance",
]
