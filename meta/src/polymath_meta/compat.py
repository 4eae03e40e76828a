"""`meta compat`: each package's tests in fresh venvs against the foundation releases it admits.

For every paper package: its wheel, built from the working tree, beside the wheel of the oldest and
of the newest foundation release its range admits (built from their tags), each pair alone in a new
venv, where the package's tests run. With `minimum`, one more venv per package pins every
third-party dependency to the floor its range declares (torch excepted: see envs.TORCH), on top of
the oldest foundation release. The versions are read back from each venv's installed metadata.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from . import envs, git
from .build import build, build_at
from .files import write_atomic
from .versions import lower_bound
from .workspace import FOUNDATION, MetaError, Package, Workspace

NOT_PINNED = {"torch"}  # one build of torch exists here; envs.TORCH installs it


@dataclass(frozen=True)
class Row:
    package: Package
    foundation: str  # e.g. "0.2.0 (oldest, newest)"
    third_party: str  # "newest" or "lowest"
    result: str  # "pass", "fail: ...", "untested: ..."
    seconds: float = 0.0


@dataclass
class Wheels:
    """Wheels built once per run: foundation releases by version, packages from the tree."""

    workspace: Workspace
    dist: Path
    releases: dict[Version, Path]
    tree: dict[str, Path]

    def release(self, version: Version) -> Path:
        if version not in self.releases:
            foundation = self.workspace.foundation
            self.releases[version] = build_at(
                self.workspace, foundation, foundation.tag(str(version)), self.dist / str(version)
            )
        return self.releases[version]

    def current(self, package: Package) -> Path:
        if package.name not in self.tree:
            folder = self.dist / "tree"
            self.tree[package.name] = build(self.workspace, package, folder).wheel
        return self.tree[package.name]


def admitted_releases(workspace: Workspace, package: Package) -> list[Version]:
    """Foundation releases reachable from HEAD that the package's range admits, oldest first."""
    requirement = package.foundation_requirement
    if requirement is None:
        return []
    released = git.released_versions(workspace.root, workspace.foundation)
    return [v for v in released if requirement.specifier.contains(v, prereleases=True)]


def floors(wheels: Iterable[Path]) -> dict[str, Version]:
    """name -> the highest floor any of the wheels declares, for third-party dependencies."""
    found: dict[str, Version] = {}
    for wheel in wheels:
        for line in envs.wheel_requirements(wheel):
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            if requirement.marker or name.startswith("polymath-") or name in NOT_PINNED:
                continue
            floor = lower_bound(requirement.specifier)
            if floor is not None:
                found[name] = max(floor, found.get(name, floor))
    return found


def run_in_venv(
    folder: Path,
    package: Package,
    wheels: list[Path],
    pins: dict[str, Version] | None = None,
) -> tuple[str, str, str]:
    """(result, installed foundation version, failure detail) of the tests beside these wheels."""
    venv = envs.create(folder)
    constraints = None
    if pins:
        constraints = folder / "lowest.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    try:
        venv.install(wheels, extras={wheels[-1]: "test"}, constraints=constraints)
        installed = venv.version_of(FOUNDATION)
        venv.run_tests(package)
    except MetaError as error:
        return f"fail: {str(error).splitlines()[0]}", "?", str(error)
    return "pass", installed, ""


def label(version: Version, versions: list[Version]) -> str:
    names = [n for n, v in (("oldest", versions[0]), ("newest", versions[-1])) if v == version]
    return f"{version} ({', '.join(names)})"


def package_rows(
    wheels: Wheels, package: Package, tmp: Path, minimum: bool, say: Callable[[str], None]
) -> list[Row]:
    admitted = admitted_releases(wheels.workspace, package)
    if not admitted:
        return [Row(package, "-", "newest", "untested: no foundation release in its range")]
    rows = []
    targets = [(v, None) for v in dict.fromkeys([admitted[0], admitted[-1]])]
    if minimum:
        targets.append((admitted[0], "lowest"))
    for version, pinned in targets:
        start = time.perf_counter()
        pair = [wheels.release(version), wheels.current(package)]
        pins = floors(pair) if pinned else None
        folder = tmp / f"{package.name}-{version}-{pinned or 'newest'}"
        result, installed, detail = run_in_venv(folder, package, pair, pins)
        if result == "pass" and installed != str(version):
            result = f"fail: installed foundation {installed}, not {version}"
        row = Row(
            package,
            label(version, admitted),
            pinned or "newest",
            result,
            time.perf_counter() - start,
        )
        say(
            f"{package.name} x foundation {row.foundation}, {row.third_party}: {row.result} "
            f"({row.seconds:.0f} s)"
        )
        if detail:
            say(detail)
        rows.append(row)
    return rows


def foundation_minimum(wheels: Wheels, tmp: Path, say: Callable[[str], None]) -> Row:
    """foundation's own tests with its third-party dependencies at their floors."""
    foundation = wheels.workspace.foundation
    start = time.perf_counter()
    wheel = wheels.current(foundation)
    result, _, detail = run_in_venv(tmp / "foundation-lowest", foundation, [wheel], floors([wheel]))
    row = Row(
        foundation, f"{foundation.version} (tree)", "lowest", result, time.perf_counter() - start
    )
    say(f"foundation, lowest: {row.result} ({row.seconds:.0f} s)")
    if detail:
        say(detail)
    return row


def compat(
    workspace: Workspace,
    packages: list[Package] | None = None,
    minimum: bool = False,
    say: Callable[[str], None] = print,
) -> tuple[list[Row], dict[str, Version]]:
    """The rows, and the third-party floors the `lowest` rows pinned."""
    papers = [p for p in (packages or workspace.packages) if not p.is_foundation]
    with tempfile.TemporaryDirectory(prefix="meta-compat-") as tmp_name:
        tmp = Path(tmp_name)
        wheels = Wheels(workspace, tmp / "wheels", {}, {})
        rows = [foundation_minimum(wheels, tmp, say)] if minimum else []
        for package in papers:
            rows += package_rows(wheels, package, tmp, minimum, say)
        lowest = floors(wheels.tree.values()) if minimum else {}
    return rows, lowest


def render(rows: list[Row], lowest: dict[str, Version], day: date | None = None) -> str:
    day = day or date.today()
    lines = [
        "# Compatibility",
        "",
        f"Generated by `meta compat` on {day.isoformat()}. Each row is one fresh venv holding",
        "the package's wheel (built from the tree) and a foundation wheel built from its release",
        'tag, where the package\'s tests ran. "foundation" is the version read back from the',
        'venv\'s installed metadata: the oldest and newest release the range admits. "lowest"',
        "pins every third-party dependency to the floor its range declares.",
        "",
        "| package | version | foundation range | foundation | third-party | result | time |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        requirement = row.package.foundation_requirement
        spec = f"`{requirement.specifier}`" if requirement else "-"
        seconds = f"{row.seconds:.0f} s" if row.seconds else "-"
        lines.append(
            f"| {row.package.name} | {row.package.version} | {spec} | {row.foundation} "
            f"| {row.third_party} | {row.result} | {seconds} |"
        )
    lines += ["", f"torch: only `{envs.TORCH}` is tested (the one CPU build on this machine)."]
    if lowest:
        pins = ", ".join(f"{name} {version}" for name, version in sorted(lowest.items()))
        lines.append(f"Lowest third-party versions tested: {pins}.")
    return "\n".join(lines) + "\n"


def write(path: Path, rows: list[Row], lowest: dict[str, Version]) -> None:
    write_atomic(path, render(rows, lowest))
