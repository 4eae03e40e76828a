"""polymath.pirounet: PirouNet (Papillon, Pettee, Miolane 2022), a semi-supervised recurrent VAE
for intentional dance, and Beyond Imitation's models (Pettee et al. 2019), with their data formats,
a synthetic dancer and the labelling app.

Names load on first use (PEP 562), so that the entry point (``package.py``) and ``polymath list``
do not import torch.
"""

from __future__ import annotations

from importlib.metadata import version

from polymath.foundation.lazy import lazy_attributes

__version__ = version("polymath-pirounet")

_WHERE = {
    "PirouNet": "model",
    "EffortClassifier": "model",
    "PirouNetModule": "module",
    "DanceDataModule": "data.datamodule",
    "simulate_dancer": "data.simulate",
    "read_session": "data.formats",
    "read_labels": "data.formats",
    "scale_pirounet": "data.formats",
    "scale_beyond_imitation": "data.formats",
    "read_c3d": "data.formats",
    "MotionDataModule": "data.motion",
    "MixtureDensityRNN": "mdn",
    "PoseAutoencoder": "pose_autoencoder",
    "SequenceVAE": "sequence_vae",
    "continuize": "sequence_vae",
    "animate": "animation",
    "LabelStore": "labelling.store",
    "build_app": "labelling.app",
}

__all__ = ["__version__", *sorted(_WHERE)]

__getattr__ = lazy_attributes(__name__, _WHERE)
