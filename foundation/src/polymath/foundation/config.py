"""Plain nested configuration: dotted overrides, flattening and YAML."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import yaml


class ConfigError(ValueError):
    """A bad override or configuration value."""


def parse_override(text: str) -> tuple[list[str], Any]:
    """``model.lr=3e-4`` -> (["model", "lr"], 0.0003); values are parsed as YAML."""
    key, sep, raw = text.partition("=")
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"bad override {text!r}: expected KEY.PATH=VALUE, e.g. model.lr=3e-4")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as error:
        raise ConfigError(f"bad override {text!r}: value is not valid YAML ({error})") from None
    return key.split("."), _number_or(value)


def _number_or(value: Any) -> Any:
    """PyYAML reads ``3e-4`` as a string (YAML 1.1); a user writing it means a number."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def apply_overrides(config: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """A deep copy of ``config`` with the overrides set; a key that does not exist is an error.

    New keys are allowed only in the ``trainer`` section, whose names ``TrainerConfig`` validates.
    """
    resolved = copy.deepcopy(dict(config))
    for text in overrides:
        path, value = parse_override(text)
        node: Any = resolved
        for depth, part in enumerate(path[:-1]):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(_unknown(path[: depth + 1], node))
            node = node[part]
        if not isinstance(node, dict):
            raise ConfigError(f"bad override {text!r}: {'.'.join(path[:-1])} is not a section")
        if path[-1] not in node and path[:-1] != ["trainer"]:
            raise ConfigError(_unknown(path, node))
        node[path[-1]] = value
    return resolved


def _unknown(path: list[str], node: Any) -> str:
    known = ", ".join(sorted(node)) if isinstance(node, dict) else ""
    return f"unknown config key {'.'.join(path)!r}" + (f" (known here: {known})" if known else "")


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mapping -> {"model.lr": 3e-4, ...}."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def to_yaml(config: Mapping[str, Any]) -> str:
    return yaml.safe_dump(_plain(config), sort_keys=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
