"""AstroCLIP: contrastive galaxy images x spectra (Parker et al. 2024), in plain torch.

The public API is imported lazily so that `polymath list` stays fast.
"""

from importlib import import_module
from importlib.metadata import version

__version__ = version("polymath-astroclip")

_EXPORTS = {
    "AstroCLIP": "polymath.astroclip.model",
    "VisionTransformer": "polymath.astroclip.model",
    "SpecFormer": "polymath.astroclip.model",
    "tokenize_spectra": "polymath.astroclip.model",
    "clip_loss": "polymath.astroclip.losses",
    "simulate": "polymath.astroclip.data.simulate",
    "read_astroclip_h5": "polymath.astroclip.data.formats",
    "write_astroclip_h5": "polymath.astroclip.data.formats",
    "preprocess_images": "polymath.astroclip.data.preprocess",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'polymath.astroclip' has no attribute {name!r}")
