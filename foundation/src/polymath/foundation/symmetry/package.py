"""The ``symmetry`` entry: the white paper's figures of merit, measured on top tagging (data only)."""

from polymath.foundation.contract import PaperPackage

PACKAGE = PaperPackage(
    name="symmetry",
    distribution="polymath-foundation",
    summary="Symmetry Group Equivariant Architectures for Physics (Bogatskiy et al. 2022): "
    "Lorentz-equivariant against plain taggers on top tagging - accuracy, economy, data "
    "efficiency, equivariance and robustness",
    module="polymath.foundation.symmetry.module:TaggerModule",
    datamodule="polymath.foundation.symmetry.datamodule:JetDataModule",
    recipes="polymath.foundation.symmetry.recipes",
)
