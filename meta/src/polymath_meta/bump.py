"""`meta bump`: a new version, its CHANGELOG section from the fragments, and dependents' ranges."""

from __future__ import annotations

from collections.abc import Callable

from packaging.version import Version

from . import changelog, git
from .files import write_atomic
from .versions import is_breaking, next_version, parse, replace_dependency, set_version, widen
from .workspace import MetaError, Package, Workspace

BreakageFinder = Callable[[Workspace, str], list[str]]


def refuse_hidden_breakage(
    workspace: Workspace, package: Package, new: Version, find: BreakageFinder | None
) -> None:
    """A foundation bump that keeps the breaking series must not break the public API."""
    last = git.last_release(workspace.root, package)
    if find is None or last is None or is_breaking(last, new):
        return
    found = find(workspace, package.tag(str(last)))
    if found:
        lines = "\n".join(f"  {line}" for line in found)
        raise MetaError(
            f"{package.name}: {new} keeps the series of {last} but the public API breaks "
            f"(bump the {'minor' if new.major == 0 else 'major'} part):\n{lines}"
        )


def widen_dependents(workspace: Workspace, package: Package, new: Version) -> list[Package]:
    """Move each dependent's ceiling to admit new, leaving a fragment that says so."""
    widened = []
    for dependent in workspace.dependents(package):
        requirement = dependent.requirement_on(package.distribution)
        if requirement is None or requirement.specifier.contains(new, prereleases=True):
            continue
        wider = widen(requirement, new)
        replace_dependency(dependent.pyproject, requirement, wider)
        dependent.changes_dir.mkdir(exist_ok=True)
        note = dependent.changes_dir / f"{package.name}-{new}.changed.md"
        write_atomic(note, f"Admit {package.distribution} {new} (range now `{wider.specifier}`).\n")
        widened.append(dependent)
    return widened


def bump(
    workspace: Workspace,
    name: str,
    part: str,
    widen: bool = False,
    find_breakages: BreakageFinder | None = None,
) -> list[str]:
    """Bump a package; returns the lines to print."""
    package = workspace.get(name)
    old = parse(package.version, package.name)
    new = next_version(old, part)
    count = len(changelog.fragment_paths(package.changes_dir))
    if not count:
        raise MetaError(
            f"{package.name}: no fragments in {package.changes_dir}; add one per change"
        )
    if package.is_foundation:
        refuse_hidden_breakage(workspace, package, new, find_breakages)

    section = changelog.render_section(package, str(new))
    write_atomic(package.changelog, changelog.insert_section(package.changelog, section))
    set_version(package.pyproject, new)
    changelog.consume(package)
    lines = [f"{package.name}: {old} -> {new} ({count} fragments into CHANGELOG.md)"]

    stale = [
        d.name
        for d in workspace.dependents(package)
        if not d.requirement_on(package.distribution).specifier.contains(new, prereleases=True)
    ]
    if stale and widen:
        widened = [d.name for d in widen_dependents(workspace, package, new)]
        lines.append(f"widened the {package.distribution} range of: {', '.join(widened)}")
        lines.append(f"these still need a release: {', '.join(widened)} (meta bump NAME patch)")
    elif stale:
        lines.append(
            f"these ranges do not admit {package.distribution} {new}: {', '.join(stale)} "
            "(edit them by hand once they pass against it, or bump with --widen-dependents)"
        )
    return lines


def changelog_only(workspace: Workspace, name: str) -> str:
    """The CHANGELOG section of the current version from changes/, for a version set by hand."""
    package = workspace.get(name)
    if changelog.has_section(package.changelog, package.version):
        raise MetaError(f"{package.name}: CHANGELOG.md already has a section for {package.version}")
    count = len(changelog.fragment_paths(package.changes_dir))
    if not count:
        raise MetaError(f"{package.name}: no fragments in {package.changes_dir}")
    section = changelog.render_section(package, package.version)
    write_atomic(package.changelog, changelog.insert_section(package.changelog, section))
    changelog.consume(package)
    return f"{package.name}: {count} fragments into the CHANGELOG section of {package.version}"
