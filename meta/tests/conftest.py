"""A tiny fake federation in a temporary git repository: foundation plus two paper packages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from polymath_meta.workspace import Workspace

RANGE = "polymath-foundation>=0.1.0,<0.2"


class Federation:
    def __init__(self, root: Path) -> None:
        self.root = root

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=True
        )
        return result.stdout

    def add_package(
        self,
        name: str,
        version: str = "0.1.0",
        dependencies: tuple[str, ...] = (RANGE,),
        code: str = "VALUE = 'new'\n",
    ) -> Path:
        folder = self.root / name
        module = folder / "src" / "polymath" / name.replace("-", "_")
        module.mkdir(parents=True)
        (module / "__init__.py").write_text(code)
        (folder / "README.md").write_text(f"# {name}\n")
        (folder / "CHANGELOG.md").write_text("# Changelog\n")
        (folder / "changes").mkdir()
        deps = ", ".join(f'"{d}"' for d in dependencies)
        (folder / "pyproject.toml").write_text(
            f"""[project]
name = "polymath-{name}"
version = "{version}"
description = "{name} for the tests"
readme = "README.md"
requires-python = ">=3.10"
dependencies = [{deps}]

[tool.poetry]
packages = [{{ include = "polymath/{name.replace("-", "_")}", from = "src" }}]

[build-system]
requires = ["poetry-core>=2.0,<3"]
build-backend = "poetry.core.masonry.api"
"""
        )
        return folder

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def commit(self, message: str = "change") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def tag(self, name: str) -> None:
        self.git("tag", "-a", name, "-m", name)

    @property
    def workspace(self) -> Workspace:
        return Workspace.load(self.root)


@pytest.fixture
def federation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Federation:
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "meta tests")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "meta@example.org")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    root = tmp_path / "repo"
    root.mkdir()
    fed = Federation(root)
    fed.git("init", "-q", "-b", "main")
    fed.add_package("foundation", dependencies=("torch>=2.3",), code="VALUE = 'new'\n")
    fed.add_package("alpha")
    fed.add_package("beta")
    fed.write("meta/pyproject.toml", '[project]\nname = "polymath-meta"\nversion = "0.1.0"\n')
    fed.commit("initial")
    return fed
