"""What polymath-pirounet offers the `polymath` command: classes by import path, recipes as files."""

from polymath.foundation.contract import PaperPackage

PACKAGE = PaperPackage(
    name="pirounet",
    distribution="polymath-pirounet",
    summary="PirouNet (Papillon, Pettee, Miolane 2022): semi-supervised recurrent VAE for intentional dance",
    module="polymath.pirounet.module:PirouNetModule",
    datamodule="polymath.pirounet.data.datamodule:DanceDataModule",
    recipes="polymath.pirounet.recipes",
    report="polymath.pirounet.report:report",
)
