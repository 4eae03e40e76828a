"""Lazy package attributes (PEP 562), so that entry points and `polymath list` never import torch."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``name`` from ``package.<where[name]>`` on first use.

    ``__getattr__ = lazy_attributes(__name__, {"Numformer": "model"})`` in a package's
    ``__init__.py`` makes ``polymath.xval.Numformer`` import ``polymath.xval.model`` only when read.
    """

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
