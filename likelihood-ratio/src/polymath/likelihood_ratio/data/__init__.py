"""Data: two-sample problems with exact likelihood ratios, the OmniFold loader and the datamodule."""

from polymath.likelihood_ratio.data.datamodule import RatioDataModule
from polymath.likelihood_ratio.data.datasets import (
    DATASETS,
    RatioProblem,
    TwoSampleDataset,
    get_dataset,
    register_dataset,
)
from polymath.likelihood_ratio.data.physics import (
    FlowRatioDataset,
    StandardizedFlow,
    fit_flow,
    load_jets,
    zjets,
)

register_dataset("zjets", zjets)

__all__ = [
    "DATASETS",
    "FlowRatioDataset",
    "RatioDataModule",
    "RatioProblem",
    "StandardizedFlow",
    "TwoSampleDataset",
    "fit_flow",
    "get_dataset",
    "load_jets",
    "register_dataset",
    "zjets",
]
