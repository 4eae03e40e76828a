import zipfile

import pytest
from polymath_meta import build
from polymath_meta.cli import main
from polymath_meta.workspace import MetaError

METADATA = """Metadata-Version: 2.4
Name: polymath-alpha
Version: 0.1.0
Requires-Dist: torch>=2.3
Requires-Dist: {foundation}

A package.
"""


def fake_wheel(path, foundation):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("polymath/alpha/__init__.py", "")
        archive.writestr(
            "polymath_alpha-0.1.0.dist-info/METADATA", METADATA.format(foundation=foundation)
        )
    return path


def test_ranges_pass(tmp_path):
    wheel = fake_wheel(tmp_path / "a.whl", "polymath-foundation<0.2,>=0.1.0")
    assert build.direct_references(build.wheel_metadata(wheel)) == []


def test_path_dependency_in_wheel_metadata_is_found(tmp_path):
    wheel = fake_wheel(tmp_path / "a.whl", "polymath-foundation @ file:///home/me/foundation")
    assert build.direct_references(build.wheel_metadata(wheel)) == [
        "file URL dependency polymath-foundation @ file:///home/me/foundation"
    ]


def test_real_build_produces_sdist_and_wheel_with_ranges(federation):
    artifacts = build.build(federation.workspace, federation.workspace.get("alpha"))
    assert artifacts.wheel.name == "polymath_alpha-0.1.0-py3-none-any.whl"
    assert artifacts.sdist.name == "polymath_alpha-0.1.0.tar.gz"
    assert "Requires-Dist: polymath-foundation" in build.wheel_metadata(artifacts.wheel)


def test_real_build_rejects_a_path_dependency(federation):
    path = federation.root / "beta/pyproject.toml"
    foundation = (federation.root / "foundation").as_uri()
    path.write_text(
        path.read_text().replace(
            "polymath-foundation>=0.1.0,<0.2", f"polymath-foundation @ {foundation}"
        )
    )
    with pytest.raises(MetaError, match="beta: built metadata is not publishable: file URL"):
        build.build(federation.workspace, federation.workspace.get("beta"))


def test_verify_needs_a_built_wheel(federation):
    with pytest.raises(MetaError, match="run `meta build foundation`"):
        build.built_wheel(federation.workspace, federation.workspace.foundation)


def test_the_build_command_starts_from_an_empty_dist(federation, capsys):
    stale = federation.write("dist/polymath_alpha-0.0.1-py3-none-any.whl", "old build")
    assert main(["--root", str(federation.root), "build", "alpha"]) == 0
    assert not stale.exists()
    assert sorted(p.name for p in (federation.root / "dist").iterdir()) == [
        "polymath_alpha-0.1.0-py3-none-any.whl",
        "polymath_alpha-0.1.0.tar.gz",
    ]


def test_a_wheel_without_a_license_is_refused(federation):
    (federation.root / "alpha/LICENSE").unlink()
    with pytest.raises(MetaError, match="the wheel carries no license file"):
        build.build(federation.workspace, federation.workspace.get("alpha"))
