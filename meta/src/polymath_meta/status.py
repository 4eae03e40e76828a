"""`meta status`: where each package stands against its last release."""

from __future__ import annotations

from . import changelog, git
from .workspace import Workspace

HEADER = ("package", "version", "foundation range", "last tag", "commits since", "fragments")


def rows(workspace: Workspace) -> list[tuple[str, ...]]:
    table = []
    for package in workspace.packages:
        last = git.last_release(workspace.root, package)
        tag = package.tag(str(last)) if last else None
        requirement = package.foundation_requirement
        if package.is_foundation:
            spec = "-"
        else:
            spec = str(requirement.specifier) if requirement else "(none)"
        pending = [p.name for p in changelog.fragment_paths(package.changes_dir)]
        table.append(
            (
                package.name,
                package.version,
                spec,
                tag or "(none)",
                str(git.commits_since(workspace.root, package, tag)),
                ", ".join(pending) if pending else "-",
            )
        )
    return table


def render(table: list[tuple[str, ...]]) -> str:
    """A plain aligned table."""
    lines = [HEADER, *table]
    widths = [max(len(row[i]) for row in lines) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in lines
    )
