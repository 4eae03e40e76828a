from typing import Literal

import pytest

from polymath.foundation.config import ConfigError
from polymath.foundation.trainer_config import TrainerConfig
from polymath.foundation.validation import Targets, validate_config, validate_section


class Module:
    def __init__(
        self,
        width: int,
        lr: float = 0.1,
        kind: Literal["a", "b"] = "a",
        depth: int | None = None,
        sizes: tuple[int, ...] = (1, 2),
    ) -> None:
        pass


def experiment(ctx, repeats: int = 1, label: str = "x", sizes: list[int] | None = None) -> dict:
    return {}


class Data:
    def __init__(self, batch_size: int = 8) -> None:
        pass


TARGETS = Targets(Module, Data, experiment)


def test_defaults_are_filled_in_and_ints_stay_ints():
    resolved = validate_section("model", {"width": 2e3, "lr": 1}, Module)
    assert resolved == {"width": 2000, "lr": 1.0, "kind": "a", "depth": None, "sizes": [1, 2]}
    assert isinstance(resolved["width"], int) and isinstance(resolved["lr"], float)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"width": 2.5}, "model.width: expected int, got '2.5'"),
        ({"width": "abc"}, "model.width: expected int, got 'abc'"),
        ({"width": 1, "kind": "nan"}, "model.kind: expected one of a, b, got 'nan'"),
        ({"width": 1, "lr": "nan"}, "model.lr: expected float"),
        ({"width": 1, "depth": "x"}, "model.depth: expected int or null, got 'x'"),
        ({"width": 1, "widht": 2}, "unknown setting model.widht for Module (did you mean width?)"),
        ({}, "model.width is required"),
    ],
)
def test_values_are_refused_by_their_annotation_in_one_line(values, message):
    with pytest.raises(ConfigError) as caught:
        validate_section("model", values, Module)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_experiment_is_checked_against_the_run_functions_keyword_parameters():
    config = validate_config({"model": {"width": 1}, "experiment": {"repeats": 3}}, TARGETS)
    assert config["experiment"] == {"repeats": 3, "label": "x", "sizes": None}
    with pytest.raises(
        ConfigError, match=r"experiment.sizes: expected list\[int\] or null, got 'abc'"
    ):
        validate_config({"model": {"width": 1}, "experiment": {"sizes": "abc"}}, TARGETS)
    with pytest.raises(
        ConfigError, match="unknown setting experiment.repeat .*did you mean repeats"
    ):
        validate_config({"model": {"width": 1}, "experiment": {"repeat": 3}}, TARGETS)
    with pytest.raises(ConfigError, match="experiment.point is for sweeps"):
        validate_config({"model": {"width": 1}, "experiment": {"point": 0}}, TARGETS)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_steps": -5}, "trainer.max_steps must be -1 (no limit) or 0 to 1e9 steps"),
        ({"max_steps": 10**23}, "trainer.max_steps must be -1"),
        ({"max_steps": "abc"}, "trainer.max_steps: expected int, got 'abc'"),
        ({"max_steps": 1.5}, "trainer.max_steps: expected int, got '1.5'"),
        ({"max_epochs": "abc"}, "trainer.max_epochs: expected int or null"),
        ({"devices": 0}, "trainer.devices must be auto, -1 (all), a count >= 1"),
        ({"threads": 0}, "trainer.threads must be an integer >= 1"),
        ({"val_check_interval": 0}, "trainer.val_check_interval must be a fraction in (0, 1]"),
        ({"accumulate_grad_batches": 0}, "trainer.accumulate_grad_batches must be an integer >= 1"),
        ({"log_every_n_steps": 0}, "trainer.log_every_n_steps must be an integer >= 1"),
        ({"checkpoint_every_n_steps": 0}, "trainer.checkpoint_every_n_steps must be an integer >= 1"),
        ({"strategy": "horovod"}, "trainer.strategy: expected one of auto, ddp, fsdp"),
        ({"max_stepz": 3}, "unknown setting trainer.max_stepz for TrainerConfig (did you mean max_steps"),
    ],
)  # fmt: skip
def test_trainer_settings_are_range_checked(settings, message):
    with pytest.raises(ConfigError) as caught:
        validate_config({"model": {"width": 1}, "trainer": settings}, TARGETS)
    assert message in str(caught.value)


def test_trainer_config_checks_ranges_when_built_directly():
    with pytest.raises(ConfigError, match="trainer.max_steps must be"):
        TrainerConfig(max_steps=-5)
    assert TrainerConfig(max_steps=2000, devices="2", val_check_interval=0.5).world_size == 2
