"""What a recipe may say about training: ``TrainerConfig``, checked before any run exists.

Kept apart from ``training.py`` (which builds Lightning Trainers) and light to import: no torch,
no Lightning, so that configurations can be validated and printed quickly.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from polymath.foundation.config import ConfigError

STRATEGIES = ("auto", "ddp", "fsdp")
PROGRESS = ("auto", "rich", "plain", "none")
MAX_STEPS_LIMIT = 10**9
"""More optimizer steps than any run here can take: a larger ``max_steps`` is a typo (1e23)."""

LIGHTNING_FIELDS = (
    "accelerator",
    "devices",
    "num_nodes",
    "precision",
    "gradient_clip_val",
    "accumulate_grad_batches",
    "max_steps",
    "max_epochs",
    "val_check_interval",
    "check_val_every_n_epoch",
    "limit_train_batches",
    "limit_val_batches",
    "limit_test_batches",
    "log_every_n_steps",
    "deterministic",
)
"""TrainerConfig fields that go to ``lightning.Trainer`` unchanged, under the same name."""


@dataclass
class TrainerConfig:
    """Everything the federation lets a recipe say about training; unknown names are errors."""

    max_steps: int = -1
    max_epochs: int | None = None
    accelerator: str = "auto"
    devices: int | str | list[int] = "auto"
    num_nodes: int = 1
    strategy: Literal["auto", "ddp", "fsdp"] = "auto"
    precision: str | int = "32-true"
    gradient_clip_val: float | None = None
    accumulate_grad_batches: int = 1
    val_check_interval: int | float | None = None
    check_val_every_n_epoch: int | None = 1
    limit_train_batches: int | float | None = None
    limit_val_batches: int | float | None = None
    limit_test_batches: int | float | None = None
    log_every_n_steps: int = 50
    seed: int = 0
    deterministic: bool = False
    checkpoint_dir: str | None = None
    checkpoint_every_n_steps: int | None = None
    resume: str | None = None
    monitor: str | None = None
    mode: Literal["min", "max"] = "min"
    progress: Literal["auto", "rich", "plain", "none"] = "auto"
    threads: int | None = None

    def __post_init__(self) -> None:
        _choice("strategy", self.strategy, STRATEGIES)
        _choice("progress", self.progress, PROGRESS)
        _choice("mode", self.mode, ("min", "max"))
        _integer(
            "max_steps", self.max_steps, -1, MAX_STEPS_LIMIT, "-1 (no limit) or 0 to 1e9 steps"
        )
        _integer(
            "max_epochs", self.max_epochs, -1, None, "-1 (no limit) or an epoch count", none=True
        )
        _integer("num_nodes", self.num_nodes, 1)
        _integer("accumulate_grad_batches", self.accumulate_grad_batches, 1)
        _integer("check_val_every_n_epoch", self.check_val_every_n_epoch, 1, none=True)
        _integer("log_every_n_steps", self.log_every_n_steps, 1)
        _integer("checkpoint_every_n_steps", self.checkpoint_every_n_steps, 1, none=True)
        _integer("threads", self.threads, 1, none=True)
        _integer("seed", self.seed, 0, 2**32 - 1)
        _devices(self.devices)
        _fraction_or_count("val_check_interval", self.val_check_interval)
        for name in ("limit_train_batches", "limit_val_batches", "limit_test_batches"):
            _fraction_or_count(name, getattr(self, name), zero=True)
        if self.gradient_clip_val is not None and not (
            _is_number(self.gradient_clip_val) and self.gradient_clip_val >= 0
        ):
            raise ConfigError(
                f"trainer.gradient_clip_val must be a number >= 0 or null, "
                f"not {self.gradient_clip_val!r}"
            )
        if not isinstance(self.deterministic, bool):
            raise ConfigError(
                f"trainer.deterministic must be true or false, not {self.deterministic!r}"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | TrainerConfig | None) -> TrainerConfig:
        if isinstance(values, TrainerConfig):
            return values
        values = dict(values or {})
        known = field_names()
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(unknown_setting_message(unknown[0], known))
        return cls(**values)

    @property
    def world_size(self) -> int | None:
        """Processes in all, when ``devices`` says it (None for "auto")."""
        devices = self.devices
        if isinstance(devices, list):
            return len(devices) * self.num_nodes
        if isinstance(devices, int) or str(devices).isdigit():
            return int(devices) * self.num_nodes
        return None

    def replace(self, **changes: Any) -> TrainerConfig:
        return TrainerConfig.from_mapping({**dataclasses.asdict(self), **changes})


def field_names() -> list[str]:
    return [field.name for field in dataclasses.fields(TrainerConfig)]


def unknown_setting_message(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(sorted(known))}"
    return f"unknown trainer setting {name!r} ({hint})"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r} (choose from {', '.join(choices)})")


def _integer(
    name: str, value: Any, low: int, high: int | None = None, accepted: str = "", none: bool = False
) -> None:
    if value is None and none:
        return
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if is_int and value >= low and (high is None or value <= high):
        return
    if not accepted:
        accepted = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
    raise ConfigError(
        f"trainer.{name} must be {accepted}{' or null' if none else ''}, not {value!r}"
    )


def _devices(value: Any) -> None:
    ok = (
        (isinstance(value, int) and not isinstance(value, bool) and (value >= 1 or value == -1))
        or (
            isinstance(value, str) and (value == "auto" or value == "-1" or _positive_digits(value))
        )
        or (
            isinstance(value, list)
            and value
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
        )
    )
    if not ok:
        raise ConfigError(
            f"trainer.devices must be auto, -1 (all), a count >= 1 or a list of device indices, "
            f"not {value!r}"
        )


def _positive_digits(text: str) -> bool:
    return text.isdigit() and int(text) >= 1


def _fraction_or_count(name: str, value: Any, zero: bool = False) -> None:
    """Lightning's convention: a float in (0, 1] is a fraction, an int >= 1 is a count."""
    if value is None:
        return
    low = 0 if zero else 1
    ok = (isinstance(value, int) and not isinstance(value, bool) and value >= low) or (
        isinstance(value, float) and (value >= 0.0 if zero else value > 0.0) and value <= 1.0
    )
    if not ok:
        fraction = "[0, 1]" if zero else "(0, 1]"
        raise ConfigError(
            f"trainer.{name} must be a fraction in {fraction} or a count >= {low} (or null), "
            f"not {value!r}"
        )
