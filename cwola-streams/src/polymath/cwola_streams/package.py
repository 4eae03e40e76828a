"""What polymath-cwola-streams registers in the entry-point group ``polymath.packages``.

The recipes are the YAML files in ``recipes/``; each names its experiment (``run:``), which is
called with the run context and the recipe's ``experiment`` section as keyword arguments.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

import yaml

from polymath.cwola_streams.data.datamodule import PatchDataModule
from polymath.cwola_streams.module import CWoLaModule
from polymath.foundation import PaperPackage, Recipe


def _experiment(path: str) -> Callable[[Any], Mapping[str, float]]:
    module_name, name = path.split(":")
    function = getattr(importlib.import_module(module_name), name)

    def run(ctx: Any) -> Mapping[str, float]:
        return function(ctx, **ctx.config.get("experiment", {}))

    return run


def read_recipes() -> dict[str, Recipe]:
    """Every ``recipes/*.yaml`` file as a Recipe."""
    recipes = {}
    for file in sorted(resources.files(__package__).joinpath("recipes").iterdir()):
        if not file.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(file.read_text())
        config = {
            key: data[key] for key in ("model", "data", "trainer", "experiment") if key in data
        }
        recipes[file.name.removesuffix(".yaml")] = Recipe(
            description=data["description"],
            config=config,
            experiment=_experiment(data["run"]) if "run" in data else None,
            headline=data.get("headline"),
            paper_value=data.get("paper_value"),
        )
    return recipes


PACKAGE = PaperPackage(
    name="cwola-streams",
    distribution="polymath-cwola-streams",
    summary="Weakly supervised stellar-stream search with CWoLa in Gaia-like patches (Pettee et al. 2023)",
    module=CWoLaModule,
    datamodule=PatchDataModule,
    recipes=read_recipes(),
)
