"""Recipes checked against the code they configure, with jsonargparse, before any run exists.

``model`` and ``data`` are checked against the ``__init__`` signatures of the LightningModule and
LightningDataModule, ``trainer`` against ``TrainerConfig`` and ``experiment`` against the keyword
parameters of the recipe's ``run`` function. Values are converted or refused by their annotation,
unknown keys name the closest known ones, and defaults are filled in, so the resolved configuration
says everything a rerun needs.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonargparse import ArgumentParser

from polymath.foundation.config import ConfigError, apply_overrides, plain, set_value
from polymath.foundation.contract import PaperPackage, Recipe, import_object, path_of
from polymath.foundation.trainer_config import TrainerConfig

SWEEP_POINT_KEY = "point"
"""``experiment.point=K``: run point K of a sweep alone (job arrays)."""


@dataclass(frozen=True)
class Targets:
    """The code a recipe configures."""

    module: type
    datamodule: type
    run: Callable[..., Any] | None
    legacy: bool = False
    check: Callable[..., None] | None = None
    """The package's ``check(config, module, datamodule)``, if it has one."""


def targets(package: PaperPackage, recipe: Recipe) -> Targets:
    run = import_object(recipe.run) if recipe.run else None
    if run is not None and not callable(run):
        raise ConfigError(f"recipe {recipe.name!r}: run {recipe.run!r} is not a function")
    return Targets(
        import_object(recipe.module or package.module),
        import_object(recipe.datamodule or package.datamodule),
        run,
        legacy=recipe.experiment is not None,
        check=import_object(package.check) if package.check else None,
    )


def resolve(package: PaperPackage, recipe: Recipe, overrides: typing.Sequence[str] = ()) -> Recipe:
    """The recipe with overrides applied, every section validated and its defaults filled in."""
    found = targets(package, recipe)
    config = validate_config(apply_overrides(recipe.config, overrides), found, recipe.sweep)
    if recipe.sweep is not None:
        from polymath.foundation.sweep import SweepSpec

        spec = SweepSpec.from_mapping(recipe.sweep)
        for point in spec.points():
            validate_config(with_point(config, point), found, recipe.sweep)
    return dataclasses.replace(
        recipe,
        config=config,
        module=path_of(recipe.module or package.module),
        datamodule=path_of(recipe.datamodule or package.datamodule),
    )


def with_point(config: Mapping[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with a sweep point's dotted values set."""
    import copy

    updated = copy.deepcopy(dict(config))
    for key, value in point.items():
        set_value(updated, key.split("."), value)
    return updated


def validate_config(
    config: Mapping[str, Any], found: Targets, sweep: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Each section checked and completed; raises ConfigError naming the first bad setting."""
    experiment = dict(config.get("experiment") or {})
    point = experiment.pop(SWEEP_POINT_KEY, None)
    if point is not None and sweep is None:
        raise ConfigError("experiment.point is for sweeps, and this recipe has no sweep section")
    if point is not None and not (isinstance(point, int) and not isinstance(point, bool)):
        raise ConfigError(f"experiment.point must be a point index (an integer), not {point!r}")
    resolved = {
        "model": validate_section("model", config.get("model"), found.module),
        "data": validate_section("data", config.get("data"), found.datamodule),
        "trainer": validate_section("trainer", config.get("trainer"), TrainerConfig),
    }
    if found.run is not None:
        resolved["experiment"] = validate_section("experiment", experiment, found.run)
    elif found.legacy:  # a 0.1-style experiment(ctx) reads its own settings
        resolved["experiment"] = experiment
    elif experiment:
        name = next(iter(experiment))
        raise ConfigError(
            f"unknown setting experiment.{name}: this recipe has no run function, so its "
            "experiment section takes no settings"
        )
    else:
        resolved["experiment"] = {}
    if point is not None:
        resolved["experiment"][SWEEP_POINT_KEY] = point
    TrainerConfig.from_mapping(resolved["trainer"])  # range checks
    return resolved


def validate_section(section: str, values: Any, target: Any) -> dict[str, Any]:
    """``values`` checked against ``target``'s signature (a class's ``__init__`` or a function)."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ConfigError(f"{section} must be a mapping of settings, not {values!r}")
    is_function = not isinstance(target, type)
    parameters = _parameters(target, skip_first=is_function)
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    named = [name for name, p in parameters.items() if p.kind is not p.VAR_KEYWORD]
    for key in values:
        if key not in named and not open_ended:
            raise ConfigError(_unknown(section, str(key), named, target))
    hints = _hints(target)
    values = {key: _integral(value, hints.get(key)) for key, value in values.items()}
    parser = ArgumentParser(exit_on_error=False)
    try:
        if is_function:
            parser.add_function_arguments(target, section, skip=_first(target), fail_untyped=False)
        else:
            parser.add_class_arguments(target, section, fail_untyped=False, sub_configs=True)
        extra = {k: v for k, v in values.items() if k not in named}
        known = {k: v for k, v in values.items() if k in named}
        parsed = parser.parse_object({section: known}, defaults=True)
    except ConfigError:
        raise
    except Exception as error:  # jsonargparse's ArgumentError and friends
        raise ConfigError(_one_line(section, str(error))) from None
    result = parsed.as_dict().get(section) or {}
    return plain({**result, **extra})


def _parameters(target: Any, skip_first: bool) -> dict[str, inspect.Parameter]:
    function = target if skip_first else target.__init__
    parameters = dict(inspect.signature(function).parameters)
    if parameters:
        first = next(iter(parameters))
        if skip_first or first == "self":
            parameters.pop(first)
    return parameters


def _first(function: Any) -> set[str]:
    return {next(iter(inspect.signature(function).parameters), "")} - {""}


def _hints(target: Any) -> dict[str, Any]:
    function = target.__init__ if isinstance(target, type) else target
    try:
        return typing.get_type_hints(function)
    except Exception:  # unresolvable forward references: leave conversion to jsonargparse
        return {}


def _integral(value: Any, hint: Any) -> Any:
    """``2e3`` for an ``int`` setting is 2000; a float with a fraction is refused later."""
    if not isinstance(value, float) or not value.is_integer():
        return value
    allowed = set(typing.get_args(hint)) if typing.get_args(hint) else {hint}
    if int in allowed and float not in allowed:
        return int(value)
    return value


def _unknown(section: str, key: str, known: list[str], target: Any) -> str:
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    owner = getattr(target, "__qualname__", str(target))
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known) or 'none'}"
    return f"unknown setting {section}.{key} for {owner} ({hint})"


_TYPE_NAMES = {"<class 'NoneType'>": "null", "typing.": "", "<class '": "", "'>": ""}


def _one_line(section: str, message: str) -> str:
    """jsonargparse's multi-line message -> ``model.d_model: expected int, got 'abc'``."""
    required = re.search(r"the following arguments are required: (.+)", message)
    if required:
        return f"{required[1].strip()} is required (it has no default)"
    key_match = re.search(r'Parser key "([^"]+)"', message)
    key = key_match[1] if key_match else section
    union = re.search(r"Subtypes: \[(.*?)\]\s*Errors:.*Given value: (.*)", message, re.DOTALL)
    expected = union or re.search(r"Expected a (.+?)\. Got value: (.*)", message)
    if expected:
        kind, got = expected[1], expected[2].strip().splitlines()[0]
        literal = re.fullmatch(r"typing\.Literal\[(.*)\]", kind)
        kind = "one of " + literal[1].replace("'", "") if literal else kind.replace(", ", " or ")
        for long, short in _TYPE_NAMES.items():
            kind = kind.replace(long, short)
        return f"{key}: expected {kind}, got {got!r}"
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    detail = " ".join(lines[1:] if key_match else lines)
    return f"{key}: {detail[:300]}" if detail else f"{key}: invalid value"
