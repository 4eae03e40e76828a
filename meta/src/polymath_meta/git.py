"""The few git questions meta asks: tags, commits since a tag, files changed since a ref."""

from __future__ import annotations

import subprocess
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .workspace import MetaError, Package


def git(root: Path, *args: str) -> str:
    """stdout of a git command; a failure raises MetaError with git's own message."""
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise MetaError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return result.stdout


def released_versions(root: Path, package: Package) -> list[Version]:
    """Versions with a `<distribution>-vX.Y.Z` tag reachable from HEAD, oldest first.

    A tag on another branch (a hotfix line, an abandoned release) is not this history's release.
    """
    if not has_commits(root):
        return []
    versions = []
    tags = git(root, "tag", "--list", "--merged", "HEAD", f"{package.tag_prefix}*")
    for tag in tags.split():
        try:
            versions.append(Version(tag.removeprefix(package.tag_prefix)))
        except InvalidVersion:
            continue
    return sorted(versions)


def last_release(root: Path, package: Package) -> Version | None:
    versions = released_versions(root, package)
    return versions[-1] if versions else None


def tag_exists(root: Path, tag: str) -> bool:
    return bool(git(root, "tag", "--list", tag).strip())


def commits_since(root: Path, package: Package, tag: str | None) -> int:
    """Commits touching the package folder since tag (all of them when tag is None)."""
    if not has_commits(root):
        return 0
    span = f"{tag}..HEAD" if tag else "HEAD"
    out = git(root, "rev-list", "--count", span, "--", str(package.folder.relative_to(root)))
    return int(out.strip() or 0)


def has_commits(root: Path) -> bool:
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=root, capture_output=True
    )
    return result.returncode == 0


def changed_files(root: Path, base: str) -> list[str]:
    """Paths changed between base and the working tree, untracked files included."""
    git(root, "rev-parse", "--verify", f"{base}^{{commit}}")
    tracked = git(root, "diff", "--name-only", base).split("\n")
    untracked = git(root, "ls-files", "--others", "--exclude-standard").split("\n")
    return sorted({p for p in tracked + untracked if p})
