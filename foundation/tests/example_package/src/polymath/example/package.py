from polymath.foundation.contract import PaperPackage

PACKAGE = PaperPackage(
    name="example",
    distribution="polymath-example",
    summary="linear regression (contract example)",
    module="polymath.example.module:Regression",
    datamodule="polymath.example.module:RegressionData",
    recipes="polymath.example.recipes",
    report="polymath.example.module:report",
    check="polymath.example.module:check",
)
