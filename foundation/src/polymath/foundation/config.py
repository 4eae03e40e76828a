"""Plain nested configuration: YAML with YAML 1.2 numbers, dotted overrides, flattening.

Light on purpose (PyYAML only): the command reads recipes without importing torch.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

SECTIONS = ("model", "data", "trainer", "experiment")


class ConfigError(ValueError):
    """A bad override or configuration value."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that ``3e-4`` and ``1e5`` are numbers as in YAML 1.2."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def load_yaml(text: str, source: str = "YAML") -> Any:
    """YAML text -> data; a syntax error is one line naming ``source``."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        raise ConfigError(f"{source} is not valid YAML: {reason}") from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """``model.lr=3e-4`` -> (["model", "lr"], 0.0003); values are parsed as YAML."""
    key, sep, raw = text.partition("=")
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"bad override {text!r}: expected KEY.PATH=VALUE, e.g. model.lr=3e-4")
    value = load_yaml(raw, f"the value of {key}") if raw.strip() else None
    return key.split("."), value


def apply_overrides(config: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """A deep copy of ``config`` with the overrides set.

    The first part of a key names a section (model, data, trainer, experiment); keys inside a
    section may be new: they are checked against the code they configure when the recipe runs.
    """
    resolved = copy.deepcopy(dict(config))
    for text in overrides:
        path, value = parse_override(text)
        set_value(resolved, path, value, text)
    return resolved


def set_value(config: dict[str, Any], path: list[str], value: Any, text: str = "") -> None:
    """Sets ``config[path[0]][path[1]]... = value``, creating mappings inside a section."""
    text = text or ".".join(path)
    if path[0] not in SECTIONS:
        raise ConfigError(
            f"bad override {text!r}: unknown section {path[0]!r} (sections: {', '.join(SECTIONS)})"
        )
    if len(path) == 1:
        raise ConfigError(
            f"bad override {text!r}: name a key inside the section, e.g. model.lr=0.1"
        )
    node = config.setdefault(path[0], {})
    for depth, part in enumerate(path[1:-1], start=1):
        if not isinstance(node, dict):
            raise ConfigError(f"bad override {text!r}: {'.'.join(path[:depth])} is not a section")
        node = node.setdefault(part, {})
    if not isinstance(node, dict):
        raise ConfigError(f"bad override {text!r}: {'.'.join(path[:-1])} is not a section")
    node[path[-1]] = value


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
    return yaml.safe_dump(plain(config), sort_keys=False)


def plain(value: Any) -> Any:
    """Plain YAML data: mappings to dicts, tuples to lists, anything else unknown to its str."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    for kind in (bool, int, float, str):  # jsonargparse's PositiveInt and the like become plain
        if isinstance(value, kind):
            return kind(value)
    if value is None:
        return value
    return str(value)
