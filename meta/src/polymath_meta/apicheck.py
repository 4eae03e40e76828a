"""`meta api-check`: a package's public API against its last release, through griffe."""

from __future__ import annotations

import re

import griffe

from . import git
from .versions import is_breaking, parse
from .workspace import Package, Workspace

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def module_name(package: Package) -> str:
    return f"polymath.{package.import_name}"


def breakages(workspace: Workspace, tag: str, package: Package | None = None) -> list[str]:
    """One plain line (no colour codes) per break of the public API between tag and the tree."""
    package = package or workspace.foundation
    src = package.folder / "src"
    name = module_name(package)
    old = griffe.load_git(
        name, ref=tag, repo=workspace.root, search_paths=[src.relative_to(workspace.root)]
    )
    new = griffe.load(name, search_paths=[src], try_relative_path=False)
    return [ANSI.sub("", b.explain()) for b in griffe.find_breaking_changes(old, new)]


def api_check(workspace: Workspace, package: Package | None = None) -> tuple[bool, list[str]]:
    """(passed, lines to print): a break since the last release needs a breaking version bump."""
    package = package or workspace.foundation
    last = git.last_release(workspace.root, package)
    if last is None:
        return True, [f"{package.name}: no release reachable from HEAD: no API to compare against"]
    tag = package.tag(str(last))
    found = breakages(workspace, tag, package)
    current = parse(package.version, package.name)
    if not found:
        return True, [f"{package.name}: public API unchanged in breaking terms since {tag}"]
    if is_breaking(last, current):
        return True, [
            f"{package.name}: {len(found)} API breaks since {tag}, "
            f"allowed by the breaking bump to {current}:",
            *found,
        ]
    part = "minor" if current.major == 0 else "major"
    return False, [
        f"{package.name}: {len(found)} API breaks since {tag} without a breaking version bump "
        f"({current}; run `meta bump {package.name} {part}`):",
        *found,
    ]
