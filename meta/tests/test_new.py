import ast

import pytest
import yaml
from polymath_meta import checks, new
from polymath_meta.cli import main
from polymath_meta.workspace import MetaError


def test_a_new_package_has_the_anatomy_and_passes_meta_check(federation, capsys):
    federation.replace(
        "foundation/pyproject.toml", '"packaging>=20"', '"packaging>=20", "torch>=2.13,<2.14"'
    )
    code = main(["--root", str(federation.root), "new", "cwola-streams", "--summary", "CWoLa"])
    assert code == 0
    assert "created cwola-streams/" in capsys.readouterr().out
    workspace = federation.workspace
    package = workspace.get("cwola-streams")
    assert checks.problems(workspace, [package]) == []  # poetry check included
    assert package.version == "0.1.0"
    assert [str(r) for r in package.requirements] == [
        "polymath-foundation<0.2,>=0.1.0",
        "torch<2.14,>=2.13",
    ]
    folder = package.folder
    for source in folder.rglob("*.py"):
        ast.parse(source.read_text(), filename=str(source))
    module = folder / "src/polymath/cwola_streams"
    package_py = (module / "package.py").read_text()
    assert 'module="polymath.cwola_streams.module:CwolaStreamsModule"' in package_py
    assert 'recipes="polymath.cwola_streams.recipes"' in package_py
    assert "class CwolaStreams(SavableModel)" in (module / "model.py").read_text()
    for recipe in ("smoke", "quick", "paper"):
        data = yaml.safe_load((module / "recipes" / f"{recipe}.yaml").read_text())
        assert {"description", "model", "data", "trainer"} <= set(data)
    assert (folder / "changes" / "README.md").is_file()
    assert (folder / "LICENSE").read_text().startswith("MIT License")


def test_new_refuses_a_bad_name_or_an_existing_folder(federation):
    with pytest.raises(MetaError, match="is not a package name"):
        new.scaffold(federation.workspace, "Bad_Name", "x")
    with pytest.raises(MetaError, match="already exists"):
        new.scaffold(federation.workspace, "alpha", "x")
    assert not (federation.root / "Bad_Name").exists()
