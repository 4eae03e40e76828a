"""The entry point of the package in the polymath federation.

Recipes are the YAML files in ``recipes/``, read as data. Until foundation's 0.2 contract takes
import strings and a recipes folder itself, this module resolves them into the current
``PaperPackage`` (classes and ``Recipe`` objects).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from polymath.foundation import PaperPackage, Recipe

RECIPES_DIR = Path(__file__).parent / "recipes"


def _import(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _experiment(path: str) -> Callable[[Any], Mapping[str, float]]:
    def run(ctx: Any) -> Mapping[str, float]:
        return _import(path)(ctx, **ctx.config.get("experiment", {}))

    run.__name__ = path.rpartition(":")[2]
    return run


def load_recipes(folder: Path = RECIPES_DIR) -> dict[str, Recipe]:
    recipes = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        run = data.pop("run", None)
        recipes[path.stem] = Recipe(
            description=data.pop("description"),
            headline=data.pop("headline", None),
            paper_value=data.pop("paper_value", None),
            config=data,
            experiment=_experiment(run) if run else None,
        )
    return recipes


PACKAGE = PaperPackage(
    name="mpp",
    distribution="polymath-mpp",
    summary="Multiple Physics Pretraining (McCabe et al. 2024): one AViT surrogate for several PDE systems",
    module=_import("polymath.mpp.module:MPPModule"),
    datamodule=_import("polymath.mpp.data.datamodule:MPPDataModule"),
    recipes=load_recipes(),
    report=_import("polymath.mpp.report:report"),
)
