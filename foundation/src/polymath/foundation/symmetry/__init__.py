"""The symmetry toolkit: group samplers, an equivariance-error metric, equivariant layers, economy.

Plain torch only. It follows "Symmetry Group Equivariant Architectures for Physics" (Bogatskiy et
al. 2022), which argues that equivariant models are more economical, interpretable and trainable,
and names figures of merit rather than one system; this package makes those figures measurable.

Names load on first use (PEP 562), so that the ``symmetry`` entry point and ``polymath list``
do not import torch.
"""

from __future__ import annotations

from polymath.foundation.lazy import lazy_attributes

_WHERE = {
    "DeepSetsEquivariant": "layers",
    "DeepSetsInvariant": "layers",
    "EGNNLayer": "layers",
    "EconomyReport": "economy",
    "Eq2to2": "layers",
    "EquivarianceError": "metric",
    "LorentzNetBlock": "layers",
    "MAX_TESTED_RAPIDITY": "groups",
    "apply_lorentz": "actions",
    "apply_permutation": "actions",
    "apply_rotation": "actions",
    "apply_rotation_translation": "actions",
    "boost": "groups",
    "economy_report": "economy",
    "equivariance_error": "metric",
    "haar_orthogonal": "groups",
    "invariant_mass": "lorentz",
    "minkowski_dot": "lorentz",
    "pairwise_dots": "lorentz",
    "psi": "lorentz",
    "random_lorentz": "groups",
    "random_permutation": "groups",
    "random_z_rotation_translation": "groups",
    "rapidity_of": "groups",
    "rotation_angle": "groups",
}

__all__ = sorted(_WHERE)

__getattr__ = lazy_attributes(__name__, _WHERE)
