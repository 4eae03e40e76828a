"""The federation as meta sees it: every top-level folder whose pyproject names a polymath package."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FOUNDATION = "polymath-foundation"
PREFIX = "polymath-"
EXCLUDED = {"polymath-meta"}


class MetaError(Exception):
    """A problem meta reports as one line and a non-zero exit."""


@dataclass(frozen=True)
class Package:
    """One package folder of the federation, read from its pyproject.toml."""

    folder: Path
    project: dict[str, Any]

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def distribution(self) -> str:
        return self.project["name"]

    @property
    def version(self) -> str:
        return str(self.project.get("version", ""))

    @property
    def is_foundation(self) -> bool:
        return canonicalize_name(self.distribution) == FOUNDATION

    @property
    def import_name(self) -> str:
        return self.name.replace("-", "_")

    @property
    def pyproject(self) -> Path:
        return self.folder / "pyproject.toml"

    @property
    def changelog(self) -> Path:
        return self.folder / "CHANGELOG.md"

    @property
    def changes_dir(self) -> Path:
        return self.folder / "changes"

    @property
    def tag_prefix(self) -> str:
        return f"{self.distribution}-v"

    def tag(self, version: str | None = None) -> str:
        return f"{self.tag_prefix}{version or self.version}"

    @cached_property
    def requirements(self) -> list[Requirement]:
        """[project].dependencies parsed; an unparsable entry raises MetaError naming it."""
        parsed = []
        for line in self.project.get("dependencies", []):
            try:
                parsed.append(Requirement(line))
            except InvalidRequirement as error:
                raise MetaError(f"{self.name}: invalid dependency {line!r}: {error}") from error
        return parsed

    def requirement_on(self, distribution: str) -> Requirement | None:
        wanted = canonicalize_name(distribution)
        return next((r for r in self.requirements if canonicalize_name(r.name) == wanted), None)

    @property
    def foundation_requirement(self) -> Requirement | None:
        return self.requirement_on(FOUNDATION)


@dataclass(frozen=True)
class Workspace:
    """The repository root and its packages, foundation first, then by folder name."""

    root: Path
    packages: tuple[Package, ...]

    @classmethod
    def load(cls, root: Path | None = None) -> Workspace:
        root = (root or find_root()).resolve()
        found = [p for p in map(read_package, sorted(root.iterdir())) if p is not None]
        found.sort(key=lambda p: (not p.is_foundation, p.name))
        return cls(root, tuple(found))

    @property
    def foundation(self) -> Package:
        for package in self.packages:
            if package.is_foundation:
                return package
        raise MetaError(f"no {FOUNDATION} package under {self.root}")

    @property
    def papers(self) -> list[Package]:
        return [p for p in self.packages if not p.is_foundation]

    def get(self, name: str) -> Package:
        """A package by folder name or distribution name."""
        for package in self.packages:
            if name in (package.name, package.distribution):
                return package
        known = ", ".join(p.name for p in self.packages)
        raise MetaError(f"unknown package {name!r} (known: {known})")

    def select(self, names: list[str] | None) -> list[Package]:
        return [self.get(n) for n in names] if names else list(self.packages)

    def dependents(self, package: Package) -> list[Package]:
        """Packages whose [project].dependencies name this package."""
        return [p for p in self.packages if p.requirement_on(package.distribution) is not None]


def read_package(folder: Path) -> Package | None:
    """The package in folder, or None when the folder holds no polymath package."""
    pyproject = folder / "pyproject.toml"
    if not folder.is_dir() or not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise MetaError(f"{pyproject}: invalid TOML: {error}") from error
    project = data.get("project", {})
    name = str(project.get("name", ""))
    if not name.startswith(PREFIX) or name in EXCLUDED:
        return None
    return Package(folder, project)


def find_root(start: Path | None = None) -> Path:
    """The git top level around start (default: the working directory)."""
    start = start or Path.cwd()
    result = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise MetaError(f"{start} is not inside a git repository")
    return Path(result.stdout.strip())
