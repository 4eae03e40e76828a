"""`meta build`: an sdist and a wheel per package, refused when the metadata carries a path."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from . import git
from .workspace import MetaError, Package, Workspace, read_package


@dataclass(frozen=True)
class Artifacts:
    package: Package
    wheel: Path
    sdist: Path


def file_stem(package: Package) -> str:
    """The normalized `name-version` that wheel and sdist file names start with."""
    name = package.distribution.lower().replace("-", "_").replace(".", "_")
    return f"{name}-{package.version}"


def wheel_metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise MetaError(f"{wheel.name}: expected one .dist-info/METADATA, found {len(names)}")
        return archive.read(names[0]).decode("utf-8")


def sdist_metadata(sdist: Path) -> str:
    with tarfile.open(sdist) as archive:
        member = next(
            (
                m
                for m in archive.getmembers()
                if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
            ),
            None,
        )
        if member is None:
            raise MetaError(f"{sdist.name}: no PKG-INFO")
        return archive.extractfile(member).read().decode("utf-8")


def direct_references(metadata: str) -> list[str]:
    """Requires-Dist entries that point at a path or URL instead of a version range."""
    found = []
    for line in HeaderParser().parsestr(metadata).get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            found.append(f"unparsable Requires-Dist {line!r}")
            continue
        if requirement.url:
            kind = "file URL" if requirement.url.startswith("file:") else "direct URL"
            found.append(f"{kind} dependency {requirement.name} @ {requirement.url}")
    return found


def run_poetry_build(package: Package, dist: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "poetry", "build", "--no-ansi", "--output", str(dist)],
        cwd=package.folder,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise MetaError(f"{package.name}: poetry build failed: {' | '.join(tail)}")


def build(workspace: Workspace, package: Package, dist: Path | None = None) -> Artifacts:
    """Build one package into dist/ and verify that its metadata holds ranges only."""
    dist = dist or workspace.root / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    run_poetry_build(package, dist)
    stem = file_stem(package)
    artifacts = Artifacts(package, dist / f"{stem}-py3-none-any.whl", dist / f"{stem}.tar.gz")
    for path in (artifacts.wheel, artifacts.sdist):
        if not path.is_file():
            raise MetaError(f"{package.name}: poetry build did not produce {path.name}")
    problems = direct_references(wheel_metadata(artifacts.wheel))
    problems += direct_references(sdist_metadata(artifacts.sdist))
    if not wheel_licenses(artifacts.wheel):
        problems.append("the wheel carries no license file (add LICENSE to the package folder)")
    if problems:
        details = "; ".join(dict.fromkeys(problems))
        raise MetaError(f"{package.name}: built metadata is not publishable: {details}")
    return artifacts


def built_wheel(workspace: Workspace, package: Package, dist: Path | None = None) -> Path:
    """The wheel `meta build` left for the package's current version."""
    wheel = (dist or workspace.root / "dist") / f"{file_stem(package)}-py3-none-any.whl"
    if not wheel.is_file():
        raise MetaError(
            f"{package.name}: no {wheel.name} in dist/ (run `meta build {package.name}`)"
        )
    return wheel


def wheel_licenses(wheel: Path) -> list[str]:
    """The license files a wheel ships in its .dist-info."""
    with zipfile.ZipFile(wheel) as archive:
        return [n for n in archive.namelist() if ".dist-info/licenses/" in n]


def clean_dist(workspace: Workspace) -> Path:
    """An empty ROOT/dist, so that `twine upload dist/*` can only ship what was just built."""
    dist = workspace.root / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir()
    return dist


def build_at(workspace: Workspace, package: Package, ref: str, dist: Path) -> Path:
    """The wheel of package as it was at ref (a release tag), built from a temporary worktree."""
    with tempfile.TemporaryDirectory(prefix="meta-build-") as tmp:
        tree = Path(tmp) / "tree"
        git.git(workspace.root, "worktree", "add", "--detach", str(tree), ref)
        try:
            old = read_package(tree / package.folder.relative_to(workspace.root))
            if old is None:
                raise MetaError(f"{ref}: no {package.distribution} in {package.name}/")
            dist.mkdir(parents=True, exist_ok=True)
            run_poetry_build(old, dist)
            wheel = dist / f"{file_stem(old)}-py3-none-any.whl"
            if not wheel.is_file():
                raise MetaError(f"{ref}: poetry build did not produce {wheel.name}")
            return wheel
        finally:
            git.git(workspace.root, "worktree", "remove", "--force", str(tree))
