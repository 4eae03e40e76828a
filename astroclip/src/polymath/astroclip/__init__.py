"""AstroCLIP: contrastive galaxy images x spectra (Parker et al. 2024), in plain torch.

The public API is imported lazily so that `polymath list` stays fast.
"""

from importlib.metadata import version

from polymath.foundation.lazy import lazy_attributes

__version__ = version("polymath-astroclip")

_EXPORTS = {
    "AstroCLIP": "model",
    "VisionTransformer": "model",
    "SpecFormer": "model",
    "tokenize_spectra": "model",
    "clip_loss": "losses",
    "simulate": "data.simulate",
    "read_astroclip_h5": "data.formats",
    "write_astroclip_h5": "data.formats",
    "preprocess_images": "data.preprocess",
    "read_gz_decals": "data.morphology",
    "simulated_vote_fractions": "data.morphology",
}

__all__ = [*_EXPORTS, "__version__"]

__getattr__ = lazy_attributes(__name__, _EXPORTS)
