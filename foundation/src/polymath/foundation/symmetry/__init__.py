"""The symmetry toolkit: group samplers, an equivariance-error metric, equivariant layers, economy.

Plain torch only. It follows "Symmetry Group Equivariant Architectures for Physics" (Bogatskiy et
al. 2022), which argues that equivariant models are more economical, interpretable and trainable,
and names figures of merit rather than one system; this package makes those figures measurable.
"""

from polymath.foundation.symmetry.actions import (
    apply_lorentz,
    apply_permutation,
    apply_rotation,
    apply_rotation_translation,
)
from polymath.foundation.symmetry.economy import EconomyReport, economy_report
from polymath.foundation.symmetry.groups import (
    MAX_TESTED_RAPIDITY,
    boost,
    haar_orthogonal,
    random_lorentz,
    random_permutation,
    random_z_rotation_translation,
    rapidity_of,
    rotation_angle,
)
from polymath.foundation.symmetry.layers import (
    DeepSetsEquivariant,
    DeepSetsInvariant,
    EGNNLayer,
    Eq2to2,
    LorentzNetBlock,
)
from polymath.foundation.symmetry.lorentz import (
    invariant_mass,
    minkowski_dot,
    pairwise_dots,
    psi,
)
from polymath.foundation.symmetry.metric import EquivarianceError, equivariance_error

__all__ = [
    "MAX_TESTED_RAPIDITY",
    "DeepSetsEquivariant",
    "DeepSetsInvariant",
    "EGNNLayer",
    "EconomyReport",
    "Eq2to2",
    "EquivarianceError",
    "LorentzNetBlock",
    "apply_lorentz",
    "apply_permutation",
    "apply_rotation",
    "apply_rotation_translation",
    "boost",
    "economy_report",
    "equivariance_error",
    "haar_orthogonal",
    "invariant_mass",
    "minkowski_dot",
    "pairwise_dots",
    "psi",
    "random_lorentz",
    "random_permutation",
    "random_z_rotation_translation",
    "rapidity_of",
    "rotation_angle",
]
