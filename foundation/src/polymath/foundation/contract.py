"""The package contract: what a paper package registers in the entry-point group ``polymath.packages``.

Light on purpose: this module imports neither torch nor Lightning nor MLflow, so ``polymath list``
and ``polymath --help`` stay fast. Classes are named by ``"package.module:Name"`` strings and
imported only when a recipe runs; recipes are YAML files read as data.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from pathlib import Path
from typing import Any

from polymath.foundation.config import SECTIONS, ConfigError, load_yaml

ENTRY_POINT_GROUP = "polymath.packages"
REQUIRED_RECIPES = ("smoke", "quick", "paper")
RECIPE_KEYS = (
    "description",
    "headline",
    "paper_value",
    "module",
    "datamodule",
    "run",
    "sweep",
    *SECTIONS,
)


class UnknownPackageError(LookupError):
    """No installed package registers this name."""


class UnknownRecipeError(LookupError):
    """The package has no recipe of this name."""


class BrokenPackageError(ImportError):
    """A registered package whose entry point, classes or recipe files cannot be loaded."""


@dataclass(frozen=True)
class Recipe:
    """A named configuration read from a YAML file: sections plus what runs them.

    ``config`` holds the ``model``, ``data``, ``trainer`` and ``experiment`` sections; ``run`` names
    the experiment function (default: fit, test, report); ``module``/``datamodule`` replace the
    package's default classes; ``sweep`` makes the recipe a sweep of child runs.
    """

    description: str
    config: Mapping[str, Any]
    headline: str | None = None
    paper_value: str | None = None
    name: str = ""
    run: str | None = None
    module: str | None = None
    datamodule: str | None = None
    sweep: Mapping[str, Any] | None = None
    experiment: Callable[..., Mapping[str, float]] | None = None
    """0.1 style, kept while packages move to ``run``: ``experiment(ctx)`` reads its own settings."""

    @classmethod
    def from_mapping(cls, name: str, values: Mapping[str, Any], source: str = "") -> Recipe:
        """A recipe from the mapping of a recipe file (or of a run's ``config.yaml``)."""
        where = source or f"recipe {name!r}"
        if not isinstance(values, Mapping):
            raise ConfigError(f"{where}: a recipe is a mapping of sections, not {values!r}")
        unknown = sorted(set(values) - set(RECIPE_KEYS) - {"recipe", "package"})
        if unknown:
            raise ConfigError(
                f"{where}: unknown recipe key {unknown[0]!r} (known: {', '.join(RECIPE_KEYS)})"
            )
        config: dict[str, Any] = {}
        for section in SECTIONS:
            value = values.get(section)
            if value is None:
                value = {}
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}: section {section!r} must be a mapping, not {value!r}")
            config[section] = dict(value)
        sweep = values.get("sweep")
        if sweep is not None and not isinstance(sweep, Mapping):
            raise ConfigError(f"{where}: 'sweep' must be a mapping, not {sweep!r}")
        return cls(
            description=str(values.get("description") or ""),
            config=config,
            headline=values.get("headline"),
            paper_value=None if values.get("paper_value") is None else str(values["paper_value"]),
            name=str(values.get("recipe") or name),
            run=values.get("run"),
            module=values.get("module"),
            datamodule=values.get("datamodule"),
            sweep=dict(sweep) if sweep is not None else None,
        )

    @classmethod
    def from_file(cls, path: str | Path, name: str | None = None) -> Recipe:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        return cls.from_mapping(
            name or path.stem, load_yaml(path.read_text(), str(path)), str(path)
        )

    def to_mapping(self) -> dict[str, Any]:
        """The file form: what ``from_mapping`` reads back (``None`` entries left out)."""
        head = {
            "recipe": self.name or None,
            "description": self.description or None,
            "headline": self.headline,
            "paper_value": self.paper_value,
            "module": self.module,
            "datamodule": self.datamodule,
            "run": self.run,
        }
        values = {key: value for key, value in head.items() if value is not None}
        values.update({section: dict(self.config.get(section) or {}) for section in SECTIONS})
        if self.sweep is not None:
            values["sweep"] = dict(self.sweep)
        return values


@dataclass(frozen=True)
class PaperPackage:
    """What a paper package offers to the ``polymath`` command, the demo and meta.

    ``module``, ``datamodule``, ``report`` and ``check`` are ``"package.module:Name"`` strings;
    ``recipes`` is the dotted name of the folder holding one ``<recipe>.yaml`` per recipe.
    ``check(config, module, datamodule)``, optional, refuses settings that are valid one by one but
    not together (a model too small for its data): it runs before any MLflow run exists. The 0.1
    form (classes, a callable report and a mapping of ``Recipe`` objects) is still accepted.
    """

    name: str
    distribution: str
    summary: str
    module: str | type
    datamodule: str | type
    recipes: str | Mapping[str, Recipe]
    report: str | Callable[..., None] | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)
    check: str | Callable[..., None] | None = None

    @cached_property
    def version(self) -> str:
        try:
            return distribution(self.distribution).version
        except PackageNotFoundError:
            return "unknown"

    @cached_property
    def foundation_range(self) -> str:
        """The range of polymath-foundation the installed distribution declares ('' if none)."""
        from packaging.requirements import Requirement

        try:
            requires = distribution(self.distribution).requires or []
        except PackageNotFoundError:
            return ""
        for line in requires:
            requirement = Requirement(line)
            if requirement.name == "polymath-foundation" and not requirement.marker:
                return str(requirement.specifier)
        return ""

    @cached_property
    def recipe_folder(self) -> Path:
        """The folder of recipe files, found without importing anything but its parent package."""
        try:
            spec = importlib.util.find_spec(self.recipes)
        except (ImportError, ValueError) as error:
            raise BrokenPackageError(f"{self.name}: recipes {self.recipes!r}: {error}") from None
        locations = list(spec.submodule_search_locations or []) if spec else []
        if not locations:
            raise BrokenPackageError(f"{self.name}: no recipe folder {self.recipes!r}")
        return Path(locations[0])

    @cached_property
    def recipe_files(self) -> dict[str, Path | Recipe]:
        """Recipe name -> its file (or, in the 0.1 form, its ``Recipe``), required ones first."""
        if isinstance(self.recipes, Mapping):
            found: dict[str, Path | Recipe] = dict(self.recipes)
        else:
            found = {path.stem: path for path in sorted(self.recipe_folder.glob("*.yaml"))}
        missing = [name for name in REQUIRED_RECIPES if name not in found]
        if missing:
            raise BrokenPackageError(
                f"package {self.name!r} lacks the required recipes: {', '.join(missing)} "
                f"(looked for <name>.yaml in {self.recipe_folder})"
            )
        ordered = [name for name in REQUIRED_RECIPES if name in found]
        return {name: found[name] for name in [*ordered, *sorted(set(found) - set(ordered))]}

    @property
    def recipe_names(self) -> list[str]:
        return list(self.recipe_files)

    def recipe(self, name: str) -> Recipe:
        source = self.recipe_files.get(name)
        if source is None:
            known = ", ".join(sorted(self.recipe_files))
            raise UnknownRecipeError(
                f"package {self.name!r} has no recipe {name!r} (recipes: {known})"
            )
        if isinstance(source, Recipe):
            return replace(source, name=name)
        return Recipe.from_file(source, name)

    def description(self, name: str) -> str:
        return self.recipe(name).description


def path_of(target: str | Callable[..., Any] | type) -> str:
    """The ``"package.module:Name"`` of a class or function (a string is returned as it is)."""
    if isinstance(target, str):
        return target
    return f"{target.__module__}:{target.__qualname__}"


def import_object(path: str | Any) -> Any:
    """``"package.module:Name"`` -> the object, with an error that names what is missing."""
    if not isinstance(path, str):  # already an object (the 0.1 form of the contract)
        return path
    module_name, sep, attribute = str(path).partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError(f"bad import path {path!r}: expected 'package.module:Name'")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise BrokenPackageError(f"cannot import {module_name!r} for {path!r}: {error}") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise BrokenPackageError(f"{module_name!r} has no {attribute!r}") from None
    return target


def discover_packages() -> dict[str, PaperPackage]:
    """Every loadable package of the federation, by name; a broken one is skipped with a warning."""
    packages, broken = load_packages()
    for name, error in broken.items():
        warnings.warn(f"polymath package {name!r} is skipped: {error}", stacklevel=2)
    return packages


def get_package(name: str) -> PaperPackage:
    packages, broken = load_packages()
    if name in packages:
        return packages[name]
    if name in broken:
        raise BrokenPackageError(f"package {name!r} is installed but fails to load: {broken[name]}")
    known = ", ".join(packages) or "none installed"
    raise UnknownPackageError(f"unknown package {name!r} (installed: {known})")


def load_packages() -> tuple[dict[str, PaperPackage], dict[str, str]]:
    """(loadable packages by name, reason by name of those that fail to load)."""
    packages: dict[str, PaperPackage] = {}
    broken: dict[str, str] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            package = entry.load()
            if not isinstance(package, PaperPackage):
                raise BrokenPackageError(f"{entry.value} is not a PaperPackage")
            package.recipe_files  # noqa: B018  (a package without its recipe files is broken)
        except Exception as error:
            broken[entry.name] = f"{type(error).__name__}: {error}"
            continue
        packages[package.name] = package
    return dict(sorted(packages.items())), broken
