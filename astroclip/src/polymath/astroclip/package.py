"""What polymath-astroclip offers the `polymath` command: classes by import path, recipes as files."""

from polymath.foundation.contract import PaperPackage

PACKAGE = PaperPackage(
    name="astroclip",
    distribution="polymath-astroclip",
    summary="AstroCLIP: contrastive galaxy images x spectra (Parker et al. 2024)",
    module="polymath.astroclip.module:AstroCLIPModule",
    datamodule="polymath.astroclip.data.datamodule:AstroCLIPDataModule",
    recipes="polymath.astroclip.recipes",
)
