"""What polymath-cwola-streams registers in the entry-point group ``polymath.packages``."""

from polymath.foundation.contract import PaperPackage

PACKAGE = PaperPackage(
    name="cwola-streams",
    distribution="polymath-cwola-streams",
    summary="Weakly supervised stellar-stream search with CWoLa in Gaia-like patches (Pettee et al. 2023)",
    module="polymath.cwola_streams.module:CWoLaModule",
    datamodule="polymath.cwola_streams.data.datamodule:PatchDataModule",
    recipes="polymath.cwola_streams.recipes",
)
