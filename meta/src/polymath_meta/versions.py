"""Version arithmetic and dependency ranges, and the pyproject edits that change them."""

from __future__ import annotations

from pathlib import Path

import tomlkit
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from .files import write_atomic
from .workspace import MetaError

PARTS = ("major", "minor", "patch")
LOWER = {">=", ">", "==", "~=", "==="}
UPPER = {"<", "<=", "==", "~=", "==="}


def parse(version: str, where: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion as error:
        raise MetaError(f"{where}: version {version!r} is not PEP 440") from error


def next_version(version: Version, part: str) -> Version:
    major, minor, patch = version.major, version.minor, version.micro
    if part == "major":
        return Version(f"{major + 1}.0.0")
    if part == "minor":
        return Version(f"{major}.{minor + 1}.0")
    if part == "patch":
        return Version(f"{major}.{minor}.{patch + 1}")
    raise MetaError(f"unknown part {part!r} (choose from {', '.join(PARTS)})")


def breaking_series(version: Version) -> tuple[int, ...]:
    """What must stay equal for compatibility: the major, or the minor while on 0.x."""
    return (0, version.minor) if version.major == 0 else (version.major,)


def is_breaking(old: Version, new: Version) -> bool:
    return breaking_series(old) != breaking_series(new)


def next_breaking(version: Version) -> Version:
    """The first version that breaks compatibility with version."""
    series = breaking_series(version)
    return Version(f"0.{series[1] + 1}") if series[0] == 0 else Version(f"{series[0] + 1}")


def has_lower_bound(specifier: SpecifierSet) -> bool:
    return any(s.operator in LOWER for s in specifier)


def has_upper_bound(specifier: SpecifierSet) -> bool:
    return any(s.operator in UPPER for s in specifier)


def lower_bound(specifier: SpecifierSet) -> Version | None:
    """The oldest version a range names as its floor (>=, ==, ~=)."""
    floors = [Version(s.version) for s in specifier if s.operator in {">=", "==", "~=", "==="}]
    return max(floors) if floors else None


def widen(requirement: Requirement, version: Version) -> Requirement:
    """The requirement with its floor kept and its ceiling moved to admit version's series."""
    kept = [str(s) for s in requirement.specifier if s.operator in {">=", ">", "!="}]
    widened = Requirement(str(requirement))
    widened.specifier = SpecifierSet(",".join([*kept, f"<{next_breaking(version)}"]))
    return widened


def set_version(pyproject: Path, version: Version) -> None:
    document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    document["project"]["version"] = str(version)
    write_atomic(pyproject, tomlkit.dumps(document))


def replace_dependency(pyproject: Path, old: Requirement, new: Requirement) -> None:
    document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    dependencies = document["project"]["dependencies"]
    for index, line in enumerate(dependencies):
        if Requirement(str(line)) == old:
            dependencies[index] = str(new)
            write_atomic(pyproject, tomlkit.dumps(document))
            return
    raise MetaError(f"{pyproject}: dependency {old} not found")
