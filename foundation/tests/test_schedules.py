import math

import pytest
import torch

from polymath.foundation.schedules import warmup_cosine, warmup_cosine_factor


def test_warm_up_is_linear_then_a_cosine_reaches_the_floor_and_stays():
    assert [warmup_cosine_factor(s, 4, 20) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert warmup_cosine_factor(4, 4, 20) == pytest.approx(1.0)
    assert warmup_cosine_factor(12, 4, 20) == pytest.approx(0.5)
    assert warmup_cosine_factor(20, 4, 20, min_ratio=0.1) == pytest.approx(0.1)
    assert warmup_cosine_factor(50, 4, 20, min_ratio=0.1) == pytest.approx(0.1)


def test_the_scheduler_sets_the_optimizer_rate_per_step():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=2.0)
    scheduler = warmup_cosine(optimizer, 2, 10)
    rates = []
    for _ in range(6):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    expected = [2.0 * warmup_cosine_factor(s, 2, 10) for s in range(6)]
    assert rates == pytest.approx(expected)
    assert rates[3] == pytest.approx(2.0 * 0.5 * (1 + math.cos(math.pi / 8)))
