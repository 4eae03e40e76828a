"""`meta release`: tag a package once check, build and verify-wheels pass (never pushes)."""

from __future__ import annotations

from collections.abc import Callable

from . import changelog, checks, git
from .build import build
from .verify import verify
from .workspace import MetaError, Workspace


def release(workspace: Workspace, name: str, say: Callable[[str], None] = print) -> str:
    """The tag created for the package's current version."""
    package = workspace.get(name)
    tag = package.tag()
    if git.tag_exists(workspace.root, tag):
        raise MetaError(f"{package.name}: {tag} already exists")
    if not changelog.has_section(package.changelog, package.version):
        raise MetaError(
            f"{package.name}: CHANGELOG.md has no section for {package.version} (run meta bump)"
        )
    folder = str(package.folder.relative_to(workspace.root))
    if git.git(workspace.root, "status", "--porcelain", "--", folder).strip():
        raise MetaError(f"{package.name}: uncommitted changes in {folder}/; commit them first")

    involved = [workspace.foundation] if package.is_foundation else [workspace.foundation, package]
    problems = checks.problems(workspace, involved, poetry=checks.poetry_check)
    if problems:
        raise MetaError("meta check failed:\n" + "\n".join(problems))
    say("check: ok")
    for each in involved:
        build(workspace, each)
    say(f"build: ok ({', '.join(p.name for p in involved)})")
    say(f"verify-wheels: ok ({verify(workspace, package):.0f} s)")
    git.git(workspace.root, "tag", "-a", tag, "-m", f"{package.distribution} {package.version}")
    return tag
