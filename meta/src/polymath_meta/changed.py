"""`meta changed`: the packages a change touches, plus every package that depends on them."""

from __future__ import annotations

from .workspace import Package, Workspace

SHARED_PATHS = ("scripts/", ".ci/", "ruff.toml", ".pre-commit-config.yaml")


def touched(workspace: Workspace, files: list[str]) -> list[Package]:
    """Packages with a changed file in their folder."""
    return [p for p in workspace.packages if any(f.startswith(f"{p.name}/") for f in files)]


def affected(workspace: Workspace, files: list[str]) -> list[Package]:
    """Touched packages and their dependents; foundation or shared tooling selects all."""
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
