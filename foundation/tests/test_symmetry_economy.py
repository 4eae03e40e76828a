import torch
from torch import nn

from polymath.foundation.symmetry import economy_report


def test_economy_counts_parameters_and_matmul_flops():
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 3))
    report = economy_report(model, torch.randn(8, 10), repeats=3)
    assert report.parameters == 10 * 20 + 20 + 20 * 3 + 3
    assert report.flops == 2 * 8 * (10 * 20 + 20 * 3)  # torch counts 2 FLOPs per multiply-add
    assert report.latency_ms > 0 and report.batch_size == 8
    assert model.training  # left as it was found


def test_frozen_parameters_are_not_counted():
    model = nn.Linear(4, 4)
    model.bias.requires_grad_(False)
    assert economy_report(model, torch.randn(2, 4), repeats=1).parameters == 16
