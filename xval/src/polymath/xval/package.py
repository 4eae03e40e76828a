"""The entry point of the package in the polymath federation.

The recipes are the YAML files in ``recipes/``, as the 0.2 package contract asks. The installed
foundation's ``PaperPackage`` still takes classes and ``Recipe`` objects, so the files are read
here (``_recipes``) until foundation reads a recipe folder and import strings itself.
"""

from importlib.resources import files

import yaml

from polymath.foundation import PaperPackage, Recipe
from polymath.foundation.models import import_object
from polymath.xval.data.datamodule import XvalDataModule
from polymath.xval.module import NumformerModule
from polymath.xval.report import report


def _recipes() -> dict[str, Recipe]:
    recipes = {}
    for path in sorted(files("polymath.xval.recipes").iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(path.read_text())
        run = data.get("run")
        recipes[path.name.removesuffix(".yaml")] = Recipe(
            description=data["description"],
            config={k: data[k] for k in ("model", "data", "trainer", "experiment") if k in data},
            experiment=_experiment(run) if run else None,
            headline=data.get("headline"),
            paper_value=data.get("paper_value"),
        )
    return recipes


def _experiment(path: str):
    def experiment(ctx):
        return import_object(path)(ctx, **ctx.config.get("experiment", {}))

    experiment.__name__ = path.rpartition(":")[2]
    return experiment


PACKAGE = PaperPackage(
    name="xval",
    distribution="polymath-xval",
    summary="xVal (Golkar et al. 2023): one continuous token per number, against four text "
    "encodings, on planets and arithmetic",
    module=NumformerModule,
    datamodule=XvalDataModule,
    recipes=_recipes(),
    report=report,
)
