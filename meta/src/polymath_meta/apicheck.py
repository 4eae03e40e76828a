"""`meta api-check`: foundation's public API against its last release, through griffe."""

from __future__ import annotations

import griffe
from packaging.version import Version

from . import git
from .versions import is_breaking, parse
from .workspace import Workspace


def module_name(workspace: Workspace) -> str:
    return f"polymath.{workspace.foundation.import_name}"


def breakages(workspace: Workspace, tag: str) -> list[str]:
    """One line per break of the public API between tag and the working tree."""
    foundation = workspace.foundation
    src = foundation.folder / "src"
    name = module_name(workspace)
    old = griffe.load_git(
        name, ref=tag, repo=workspace.root, search_paths=[src.relative_to(workspace.root)]
    )
    new = griffe.load(name, search_paths=[src], try_relative_path=False)
    return [b.explain() for b in griffe.find_breaking_changes(old, new)]


def api_check(workspace: Workspace) -> tuple[bool, list[str]]:
    """(passed, lines to print)."""
    foundation = workspace.foundation
    last: Version | None = git.last_release(workspace.root, foundation)
    if last is None:
        return True, [f"no {foundation.tag_prefix}* tag yet: nothing to compare the API against"]
    tag = foundation.tag(str(last))
    found = breakages(workspace, tag)
    current = parse(foundation.version, foundation.name)
    if not found:
        return True, [
            f"public API of {module_name(workspace)} unchanged in breaking terms since {tag}"
        ]
    if is_breaking(last, current):
        return True, [
            f"{len(found)} API breaks since {tag}, allowed by the breaking bump to {current}:",
            *found,
        ]
    return False, [
        f"{len(found)} API breaks since {tag} without a breaking version bump ({current}):",
        *found,
    ]
