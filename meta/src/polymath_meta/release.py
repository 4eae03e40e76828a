"""`meta release`: tag a package only when every gate passes (never pushes, never publishes).

The gates, cheapest first; the first that fails refuses the release and says why:

1. a clean tree on the main branch, a new tag, a CHANGELOG section for the version;
2. for foundation: every dependent's range admits the new version;
3. `meta check` for the package (and, for foundation, its dependents);
4. the public API against the last release reachable from HEAD: a break needs a breaking bump;
5. a clean dist/ holding the package's sdist and wheel;
6. the package's own tests in a fresh venv built from the wheels;
7. for foundation: every dependent's tests in a fresh venv beside the new foundation wheel;
8. for a paper package: its tests beside the oldest foundation its range admits, built from
   that release's tag.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from . import apicheck, changelog, checks, git
from .build import build, build_at, clean_dist
from .compat import run_in_venv
from .versions import lower_bound, parse
from .workspace import MetaError, Package, Workspace

BRANCH = "main"
Say = Callable[[str], None]


def refuse_unless_releasable(workspace: Workspace, package: Package) -> None:
    root = workspace.root
    branch = git.git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    if branch != BRANCH:
        raise MetaError(f"releases are made from {BRANCH}, not from {branch!r}")
    dirty = git.git(root, "status", "--porcelain").splitlines()
    if dirty:
        shown = ", ".join(line[3:] for line in dirty[:5]) + (", ..." if len(dirty) > 5 else "")
        raise MetaError(f"the tree is not clean ({shown}); commit or remove the changes first")
    if git.tag_exists(root, package.tag()):
        raise MetaError(f"{package.name}: {package.tag()} already exists")
    if not changelog.has_section(package.changelog, package.version):
        raise MetaError(
            f"{package.name}: CHANGELOG.md has no section for {package.version} (run meta bump)"
        )


def refuse_excluding_dependents(workspace: Workspace, package: Package) -> None:
    new = parse(package.version, package.name)
    stale = [
        f"{d.name} ({d.requirement_on(package.distribution).specifier})"
        for d in workspace.dependents(package)
        if not d.requirement_on(package.distribution).specifier.contains(new, prereleases=True)
    ]
    if stale:
        raise MetaError(
            f"{package.name} {new} is outside the range of: {', '.join(stale)}; widen them "
            f"(meta bump {package.name} ... --widen-dependents, or by hand) once they pass"
        )


def refuse_api_break(workspace: Workspace, package: Package) -> str:
    passed, lines = apicheck.api_check(workspace, package)
    if not passed:
        raise MetaError("\n".join(lines))
    return lines[0]


def tests_in_venv(folder: Path, package: Package, wheels: list[Path], what: str) -> None:
    result, _, detail = run_in_venv(folder, package, wheels)
    if result != "pass":
        raise MetaError(f"{what}: {detail}")


def oldest_foundation(workspace: Workspace, package: Package, tmp: Path, wheel: Path) -> str:
    """The package's tests beside the wheel of the oldest foundation its range admits."""
    foundation = workspace.foundation
    requirement = package.foundation_requirement
    floor = lower_bound(requirement.specifier) if requirement else None
    if floor is None:
        raise MetaError(f"{package.name}: its {foundation.distribution} range has no floor")
    tag = foundation.tag(str(floor))
    if floor not in git.released_versions(workspace.root, foundation):
        raise MetaError(
            f"{package.name}: the floor of its range, {foundation.distribution} {floor}, was "
            f"never released ({tag} is not reachable from HEAD); raise the floor to a release "
            "or release foundation first"
        )
    old = build_at(workspace, foundation, tag, tmp / "floor")
    result, installed, detail = run_in_venv(tmp / "floor-venv", package, [old, wheel])
    if result != "pass":
        raise MetaError(
            f"{package.name}: its tests fail against {foundation.distribution} {floor}, the "
            f"floor of its range {requirement.specifier}: raise the floor to the first release "
            f"it works with.\n{detail}"
        )
    return installed


def release(workspace: Workspace, name: str, say: Say = print) -> str:
    """The tag created for the package's current version, once every gate passed."""
    package = workspace.get(name)
    foundation = workspace.foundation
    start = time.perf_counter()
    refuse_unless_releasable(workspace, package)
    if package.is_foundation:
        refuse_excluding_dependents(workspace, package)
        say("ranges: every dependent admits " + package.version)
    checked = [package, *workspace.dependents(package)] if package.is_foundation else [package]
    problems = checks.problems(workspace, checked, poetry=checks.poetry_check)
    if problems:
        raise MetaError("meta check failed:\n" + "\n".join(problems))
    say(f"check: ok ({', '.join(p.name for p in checked)})")
    say(f"api-check: {refuse_api_break(workspace, package)}")

    dist = clean_dist(workspace)
    artifacts = build(workspace, package, dist)
    say(f"build: {artifacts.sdist.name}, {artifacts.wheel.name} in a clean dist/")
    with tempfile.TemporaryDirectory(prefix=f"meta-release-{package.name}-") as tmp_name:
        tmp = Path(tmp_name)
        if package.is_foundation:
            wheels = [artifacts.wheel]
        else:
            wheels = [build(workspace, foundation, tmp / "foundation").wheel, artifacts.wheel]
        tests_in_venv(tmp / "own", package, wheels, f"{package.name}: its tests from the wheel")
        say(f"tests from the wheel: pass ({time.perf_counter() - start:.0f} s so far)")
        if package.is_foundation:
            for dependent in workspace.dependents(package):
                wheel = build(workspace, dependent, tmp / "dependents").wheel
                what = f"{dependent.name} against {package.distribution} {package.version}"
                tests_in_venv(tmp / dependent.name, dependent, [artifacts.wheel, wheel], what)
                say(f"compat: {what}: pass")
        else:
            installed = oldest_foundation(workspace, package, tmp, artifacts.wheel)
            say(f"oldest foundation: pass against {foundation.distribution} {installed}")
    tag = package.tag()
    git.git(workspace.root, "tag", "-a", tag, "-m", f"{package.distribution} {package.version}")
    say(f"all gates passed in {time.perf_counter() - start:.0f} s")
    return tag
