"""The package contract: what a paper package registers in the entry-point group ``polymath.packages``."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement

if TYPE_CHECKING:
    from lightning import LightningDataModule, LightningModule

    from polymath.foundation.runner import RunContext

ENTRY_POINT_GROUP = "polymath.packages"
REQUIRED_RECIPES = ("smoke", "quick", "paper")


class UnknownPackageError(LookupError):
    """No installed package registers this name."""


class UnknownRecipeError(LookupError):
    """The package has no recipe of this name."""


@dataclass(frozen=True)
class Recipe:
    """A named configuration; ``experiment`` replaces the default single fit (e.g. for a sweep)."""

    description: str
    config: Mapping[str, Any]
    experiment: Callable[[RunContext], Mapping[str, float]] | None = None
    headline: str | None = None
    paper_value: str | None = None


@dataclass(frozen=True)
class PaperPackage:
    """What a paper package offers to the ``polymath`` command, the demo and meta."""

    name: str
    distribution: str
    summary: str
    module: type[LightningModule]
    datamodule: type[LightningDataModule]
    recipes: Mapping[str, Recipe]
    report: Callable[[RunContext, LightningModule, LightningDataModule], None] | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [name for name in REQUIRED_RECIPES if name not in self.recipes]
        if missing:
            raise ValueError(
                f"package {self.name!r} lacks the required recipes: {', '.join(missing)}"
            )

    @cached_property
    def version(self) -> str:
        try:
            return distribution(self.distribution).version
        except PackageNotFoundError:
            return "unknown"

    @cached_property
    def foundation_range(self) -> str:
        """The range of polymath-foundation the installed distribution declares ('' if none)."""
        try:
            requires = distribution(self.distribution).requires or []
        except PackageNotFoundError:
            return ""
        for line in requires:
            requirement = Requirement(line)
            if requirement.name == "polymath-foundation" and not requirement.marker:
                return str(requirement.specifier)
        return ""

    def recipe(self, name: str) -> Recipe:
        try:
            return self.recipes[name]
        except KeyError:
            known = ", ".join(sorted(self.recipes))
            raise UnknownRecipeError(
                f"package {self.name!r} has no recipe {name!r} (recipes: {known})"
            ) from None


class BrokenPackageError(ImportError):
    """A registered package whose entry point cannot be loaded."""


def discover_packages() -> dict[str, PaperPackage]:
    """Every loadable package of the federation, by name; a broken one is skipped with a warning."""
    packages, broken = _load_entry_points()
    for name, error in broken.items():
        warnings.warn(f"polymath package {name!r} is skipped: {error}", stacklevel=2)
    return packages


def get_package(name: str) -> PaperPackage:
    packages, broken = _load_entry_points()
    if name in packages:
        return packages[name]
    if name in broken:
        raise BrokenPackageError(f"package {name!r} is installed but fails to load: {broken[name]}")
    known = ", ".join(packages) or "none installed"
    raise UnknownPackageError(f"unknown package {name!r} (installed: {known})")


def _load_entry_points() -> tuple[dict[str, PaperPackage], dict[str, str]]:
    packages: dict[str, PaperPackage] = {}
    broken: dict[str, str] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            package = entry.load()
        except Exception as error:
            broken[entry.name] = f"{type(error).__name__}: {error}"
            continue
        if not isinstance(package, PaperPackage):
            broken[entry.name] = f"{entry.value} is not a PaperPackage"
            continue
        packages[package.name] = package
    return dict(sorted(packages.items())), broken
