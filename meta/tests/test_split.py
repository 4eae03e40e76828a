import os
import subprocess

import pytest
from polymath_meta import split
from polymath_meta.build import build
from polymath_meta.workspace import MetaError


def test_split_keeps_the_history_and_adds_what_the_folder_borrowed(federation, tmp_path):
    federation.write("alpha/changes/x.added.md", "Something.\n")
    federation.commit("alpha: a change")
    federation.write("beta/changes/y.added.md", "Else.\n")
    federation.commit("beta: a change")
    dest = tmp_path / "alpha-repo"
    split.split(federation.workspace, "alpha", dest)

    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=dest, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert log[1:] == ["alpha: a change", "initial"]  # beta's commit is not alpha's history
    assert log[0].startswith("polymath-alpha on its own, split from the federation at ")
    for name in (
        "pyproject.toml",
        "LICENSE",
        ".ci/run",
        ".pre-commit-config.yaml",
        "towncrier.toml",
        ".towncrier/template.md",
        "src/polymath/alpha/__init__.py",
    ):
        assert (dest / name).is_file(), name
    assert os.access(dest / ".ci/run", os.X_OK)
    assert "meta-split-alpha" not in federation.git("branch", "--list")
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=dest, capture_output=True, text=True, check=True
    ).stdout
    assert status == ""
    with pytest.raises(MetaError, match="not empty"):
        split.split(federation.workspace, "alpha", dest)


def test_the_path_to_the_sibling_foundation_is_dropped(federation, tmp_path):
    federation.write(
        "alpha/pyproject.toml",
        (federation.root / "alpha/pyproject.toml").read_text()
        + '\n[tool.poetry.dependencies]\npolymath-foundation = { path = "../foundation", '
        "develop = true }\n",
    )
    federation.commit("alpha: editable foundation for development")
    split.split(federation.workspace, "alpha", tmp_path / "alpha-repo")
    text = (tmp_path / "alpha-repo" / "pyproject.toml").read_text()
    assert "../foundation" not in text
    assert "[tool.poetry]" in text


@pytest.mark.slow
def test_the_split_repository_passes_its_ci_against_a_foundation_wheel(federation, tmp_path):
    dest = tmp_path / "alpha-repo"
    split.split(federation.workspace, "alpha", dest)
    wheels = tmp_path / "wheels"
    build(federation.workspace, federation.workspace.foundation, wheels)
    env = {**os.environ, "PIP_FIND_LINKS": str(wheels)}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(["bash", ".ci/run"], cwd=dest, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
    where = subprocess.run(
        [
            str(dest / ".venv/bin/python"),
            "-c",
            "import polymath.foundation as f; print(f.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(dest / ".venv"))  # from the wheel, not a sibling folder
