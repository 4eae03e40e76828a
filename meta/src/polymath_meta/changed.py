"""`meta changed`: the suites a change touches: packages, their dependents, and meta's own."""

from __future__ import annotations

from .workspace import Package, Workspace

META = "meta"
SHARED_PATHS = ("scripts/", ".ci/", "ruff.toml", ".pre-commit-config.yaml", f"{META}/")


def touched(workspace: Workspace, files: list[str]) -> list[Package]:
    """Packages with a changed file in their folder."""
    return [p for p in workspace.packages if any(f.startswith(f"{p.name}/") for f in files)]


def affected(workspace: Workspace, files: list[str]) -> list[Package]:
    """Touched packages and their dependents; foundation, meta or shared tooling selects all."""
    selected = touched(workspace, files)
    shared = any(f.startswith(SHARED_PATHS) for f in files)
    if shared or any(p.is_foundation for p in selected):
        return list(workspace.packages)
    queue = list(selected)
    while queue:
        for dependent in workspace.dependents(queue.pop()):
            if dependent not in selected:
                selected.append(dependent)
                queue.append(dependent)
    return [p for p in workspace.packages if p in selected]


def suites(workspace: Workspace, files: list[str]) -> list[str]:
    """Folder names of the test suites to run: the affected packages, then meta when it changed.

    meta's own suite runs when meta or the shared tooling changed (meta's tests build fake
    federations, so a package change alone cannot break them).
    """
    names = [p.name for p in affected(workspace, files)]
    if any(f.startswith(SHARED_PATHS) for f in files):
        names.append(META)
    return names
