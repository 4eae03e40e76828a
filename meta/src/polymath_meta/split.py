"""`meta split PKG DEST`: one package as a repository of its own, with its history.

`git subtree split` rewrites the history of the package folder into a root of its own; the new
repository gets that history, then one commit that adds what the folder borrowed from the
federation: a CI script, a pre-commit configuration, ruff's settings, the towncrier settings,
a LICENSE, and a pyproject without the development path to ../foundation.
"""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

import tomlkit

from . import git
from .files import write_atomic
from .workspace import MetaError, Package, Workspace

TEMPLATE_IN_SPLIT = ".towncrier/template.md"


def split(workspace: Workspace, name: str, dest: Path) -> str:
    """Create dest as the package's own repository; returns its HEAD commit."""
    package = workspace.get(name)
    if dest.exists() and any(dest.iterdir()):
        raise MetaError(f"{dest} exists and is not empty")
    prefix = str(package.folder.relative_to(workspace.root))
    branch = f"meta-split-{package.name}"
    root = workspace.root
    source = git.git(root, "rev-parse", "HEAD").strip()
    git.git(root, "subtree", "split", f"--prefix={prefix}", "-b", branch)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        git.git(dest, "init", "-q", "-b", "main")
        git.git(dest, "fetch", "-q", str(root), branch)
        git.git(dest, "checkout", "-q", "-B", "main", "FETCH_HEAD")
    finally:
        git.git(root, "branch", "-D", branch)
    add_standalone_files(workspace, package, dest)
    git.git(dest, "add", "-A")
    message = (
        f"{package.distribution} on its own, split from the federation at {source[:12]}: "
        "CI, pre-commit, ruff and towncrier settings, no path to ../foundation"
    )
    git.git(dest, "commit", "-q", "-m", message)
    return git.git(dest, "rev-parse", "HEAD").strip()


def add_standalone_files(workspace: Workspace, package: Package, dest: Path) -> None:
    standalone = files("polymath_meta").joinpath("standalone")
    with as_file(standalone) as folder:
        shutil.copytree(folder, dest, dirs_exist_ok=True)
    (dest / ".ci" / "run").chmod(0o755)
    for name in ("ruff.toml", "LICENSE"):
        if (workspace.root / name).is_file() and not (dest / name).exists():
            shutil.copy2(workspace.root / name, dest / name)
    write_towncrier_settings(dest)
    drop_foundation_path(dest / "pyproject.toml")
    gitignore = dest / ".gitignore"
    if not gitignore.exists() and (workspace.root / ".gitignore").is_file():
        shutil.copy2(workspace.root / ".gitignore", gitignore)


def write_towncrier_settings(dest: Path) -> None:
    """The federation's towncrier settings, with the template as a file of the repository."""
    settings = files("polymath_meta.towncrier")
    template = dest / TEMPLATE_IN_SPLIT
    template.parent.mkdir(exist_ok=True)
    template.write_text(settings.joinpath("template.md").read_text(encoding="utf-8"))
    text = settings.joinpath("towncrier.toml").read_text(encoding="utf-8")
    text = text.replace('"polymath_meta.towncrier:template.md"', f'"{TEMPLATE_IN_SPLIT}"')
    (dest / "towncrier.toml").write_text(text)


def drop_foundation_path(pyproject: Path) -> None:
    """Remove [tool.poetry.dependencies] entries that point at a path (the sibling foundation)."""
    document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    dependencies = document.get("tool", {}).get("poetry", {}).get("dependencies")
    if dependencies is None:
        return
    for key in [k for k, v in dependencies.items() if isinstance(v, dict) and "path" in v]:
        del dependencies[key]
    if not dependencies:
        del document["tool"]["poetry"]["dependencies"]
    write_atomic(pyproject, tomlkit.dumps(document))
