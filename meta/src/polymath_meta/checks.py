"""`meta check`: the federation's rules, one line per problem."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from packaging.version import InvalidVersion, Version

from . import anatomy, changelog, git
from .versions import has_lower_bound, has_upper_bound
from .workspace import FOUNDATION, Package, Workspace


def check_version(package: Package) -> Iterator[str]:
    try:
        Version(package.version)
    except InvalidVersion:
        yield f"{package.name}: version {package.version!r} is not PEP 440"


def check_foundation_range(package: Package, foundation_version: str) -> Iterator[str]:
    requirement = package.foundation_requirement
    if requirement is None:
        yield f"{package.name}: [project].dependencies does not name {FOUNDATION}"
        return
    if requirement.url:
        return  # reported by check_direct_references
    spec = requirement.specifier
    if not has_lower_bound(spec):
        yield f"{package.name}: foundation range {spec or '(none)'!s} has no lower bound"
    if not has_upper_bound(spec):
        yield f"{package.name}: foundation range {spec or '(none)'!s} has no upper bound"
    try:
        local = Version(foundation_version)
    except InvalidVersion:
        return
    if not spec.contains(local, prereleases=True):
        yield (
            f"{package.name}: foundation range {spec} does not admit the local "
            f"foundation {foundation_version}"
        )


def check_direct_references(package: Package) -> Iterator[str]:
    for requirement in package.requirements:
        if requirement.url:
            yield (
                f"{package.name}: dependency {requirement.name} is a direct reference "
                f"({requirement.url}); wheels must carry ranges"
            )


def imported_modules(source: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every import in a file, `from a import b` giving a.b."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def check_sibling_imports(package: Package, workspace: Workspace) -> Iterator[str]:
    siblings = {p.import_name for p in workspace.papers if p.name != package.name}
    for source in sorted((package.folder / "src").rglob("*.py")):
        try:
            imports = list(imported_modules(source))
        except SyntaxError as error:
            yield f"{source.relative_to(workspace.root)}: cannot parse: {error.msg}"
            continue
        reported = set()
        for line, module in imports:
            parts = module.split(".")
            sibling = parts[1] if len(parts) > 1 and parts[0] == "polymath" else None
            if sibling in siblings and (line, sibling) not in reported:
                reported.add((line, sibling))
                where = f"{source.relative_to(workspace.root)}:{line}"
                yield f"{where}: {package.name} imports sibling package polymath.{sibling}"


def poetry_check(package: Package) -> Iterator[str]:
    result = subprocess.run(
        [sys.executable, "-m", "poetry", "check", "--no-ansi"],
        cwd=package.folder,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
        detail = "; ".join(line for line in lines if line) or f"exit {result.returncode}"
        yield f"{package.name}: poetry check failed: {detail}"


def check_changelog(package: Package, root: Path) -> Iterator[str]:
    for version in git.released_versions(root, package):
        if not changelog.has_section(package.changelog, str(version)):
            yield f"{package.name}: released version {version} has no section in CHANGELOG.md"


def problems(
    workspace: Workspace,
    packages: list[Package] | None = None,
    poetry: Callable[[Package], Iterator[str]] | None = poetry_check,
) -> list[str]:
    """Every rule broken by the given packages (default: all); poetry=None skips `poetry check`."""
    foundation = workspace.foundation
    found = []
    for package in packages or workspace.packages:
        found += check_version(package)
        found += check_direct_references(package)
        if not package.is_foundation:
            found += check_foundation_range(package, foundation.version)
            found += check_sibling_imports(package, workspace)
        found += anatomy.problems(package)
        found += changelog.fragment_problems(package)
        if poetry is not None:
            found += poetry(package)
        found += check_changelog(package, workspace.root)
    return found
