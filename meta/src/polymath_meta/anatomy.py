"""The anatomy every package shares (foundation/docs/package-contract.md), checked file by file.

One line per problem, naming the file that is missing or wrong, so that a half-built package
says what it still lacks rather than failing somewhere downstream.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .workspace import Package

ENTRY_POINT_GROUP = "polymath.packages"
RECIPES = ("smoke", "quick", "paper")
COMMON_FILES = ("README.md", "CHANGELOG.md", "LICENSE")
PAPER_MODULES = ("package.py", "model.py", "module.py")
# README sections of a paper package: each a `## ` heading starting with these words.
README_SECTIONS = ("Install", "Quick start", "Recipes", "Results")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|\bsrc=\"([^\"]+)\"")


def module_dir(package: Package) -> Path:
    return package.folder / "src" / "polymath" / package.import_name


def entry_point(package: Package) -> str:
    return f"polymath.{package.import_name}.package:PACKAGE"


def check_files(package: Package) -> Iterator[str]:
    for name in COMMON_FILES:
        if not (package.folder / name).is_file():
            yield f"{package.name}: missing {name}"
    if not package.changes_dir.is_dir():
        yield f"{package.name}: missing changes/ (fragments; keep its README.md so git keeps it)"
    if not (package.folder / "tests").is_dir():
        yield f"{package.name}: missing tests/"
    if (package.folder / "src" / "polymath" / "__init__.py").exists():
        yield f"{package.name}: src/polymath/__init__.py must not exist (namespace package)"
    init = module_dir(package) / "__init__.py"
    if not init.is_file():
        yield f"{package.name}: missing {init.relative_to(package.folder)}"


def check_paper_files(package: Package) -> Iterator[str]:
    where = module_dir(package)
    for name in PAPER_MODULES:
        if not (where / name).is_file():
            yield f"{package.name}: missing {(where / name).relative_to(package.folder)}"
    for recipe in RECIPES:
        path = where / "recipes" / f"{recipe}.yaml"
        if not path.is_file():
            yield f"{package.name}: missing recipe {path.relative_to(package.folder)}"
    if not (package.folder / "tests" / "test_contract.py").is_file():
        yield f"{package.name}: missing tests/test_contract.py (runs the smoke recipe)"


def check_entry_point(package: Package) -> Iterator[str]:
    group = package.project.get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
    wanted = entry_point(package)
    if group.get(package.name) != wanted:
        yield (
            f'{package.name}: pyproject.toml needs [project.entry-points."{ENTRY_POINT_GROUP}"] '
            f'{package.name} = "{wanted}"'
        )


def check_readme_sections(package: Package) -> Iterator[str]:
    readme = package.folder / "README.md"
    if not readme.is_file():
        return
    headings = [
        line[3:].strip().lower()
        for line in readme.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    ]
    for section in README_SECTIONS:
        if not any(h.startswith(section.lower()) for h in headings):
            yield f"{package.name}: README.md has no '## {section}' section"


def outside_links(package: Package) -> Iterator[str]:
    """Links an index page cannot follow: paths that leave the package folder or do not exist."""
    readme = package.folder / "README.md"
    if not readme.is_file():
        return
    for number, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), 1):
        for match in LINK.finditer(line):
            target = (match.group(1) or match.group(2)).split("#")[0]
            if not target or (
                re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("file:")
            ):
                continue
            resolved = (package.folder / target).resolve()
            inside = resolved.is_relative_to(package.folder.resolve())
            if target.startswith(("/", "file:")) or not inside:
                yield (
                    f"{package.name}: README.md:{number}: link {target} leaves the package "
                    "(an index page cannot follow it; link inside the package or use https)"
                )
            elif not resolved.exists():
                yield f"{package.name}: README.md:{number}: link {target} points at nothing"


def problems(package: Package) -> list[str]:
    found = [*check_files(package), *outside_links(package)]
    if not package.is_foundation:
        found += [*check_paper_files(package), *check_entry_point(package)]
        found += check_readme_sections(package)
    return found
