"""A tiny fake federation in a temporary git repository: foundation plus two paper packages.

The packages follow the federation's anatomy (so `meta check` passes on them) and are installable:
foundation needs only `packaging`, the papers only foundation, and each has a test that imports it,
so the drills that build wheels and install them in fresh venvs take seconds, not minutes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from polymath_meta.workspace import Workspace

RANGE = "polymath-foundation>=0.1.0,<0.2"
LICENSE = (Path(__file__).parents[2] / "LICENSE").read_text()
README = "# {name}\n\n## Install\n\n## Quick start\n\n## Recipes\n\n## Results\n"
TEST = "import polymath.{module}\n\n\ndef test_imports():\n    assert polymath.{module}.VALUE\n"


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
        module_name = name.replace("-", "_")
        module = folder / "src" / "polymath" / module_name
        module.mkdir(parents=True)
        (module / "__init__.py").write_text(code)
        (folder / "README.md").write_text(README.format(name=name))
        (folder / "CHANGELOG.md").write_text("# Changelog\n")
        (folder / "LICENSE").write_text(LICENSE)
        (folder / "changes").mkdir()
        (folder / "changes" / "README.md").write_text("One file per change.\n")
        (folder / "tests").mkdir()
        (folder / "tests" / f"test_{module_name}.py").write_text(TEST.format(module=module_name))
        deps = ", ".join(f'"{d}"' for d in dependencies)
        entry = ""
        if name != "foundation":
            for part in ("package", "model", "module"):
                (module / f"{part}.py").write_text("")
            (module / "recipes").mkdir()
            for recipe in ("smoke", "quick", "paper"):
                (module / "recipes" / f"{recipe}.yaml").write_text("description: x\n")
            (folder / "tests" / "test_contract.py").write_text("")
            entry = (
                '[project.entry-points."polymath.packages"]\n'
                f'{name} = "polymath.{module_name}.package:PACKAGE"\n\n'
            )
        (folder / "pyproject.toml").write_text(
            f"""[project]
name = "polymath-{name}"
version = "{version}"
description = "{name} for the tests"
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"
dependencies = [{deps}]

[project.optional-dependencies]
test = ["pytest>=8"]

{entry}[tool.poetry]
packages = [{{ include = "polymath/{module_name}", from = "src" }}]

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

    def replace(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new))

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
    fed.write(".gitignore", "dist/\n__pycache__/\n")
    fed.add_package("foundation", dependencies=("packaging>=20",), code="VALUE = 'new'\n")
    fed.add_package("alpha")
    fed.add_package("beta")
    fed.write("meta/pyproject.toml", '[project]\nname = "polymath-meta"\nversion = "0.1.0"\n')
    fed.commit("initial")
    return fed
