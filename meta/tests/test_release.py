import pytest
from polymath_meta import release
from polymath_meta.workspace import MetaError


@pytest.fixture
def steps(monkeypatch):
    done = []
    monkeypatch.setattr(release, "build", lambda ws, package: done.append(("build", package.name)))
    monkeypatch.setattr(
        release, "verify", lambda ws, package: done.append(("verify", package.name)) or 1.0
    )
    monkeypatch.setattr(release.checks, "poetry_check", lambda package: iter(()))
    return done


def add_section(federation):
    federation.write("alpha/CHANGELOG.md", "# Changelog\n\n## [0.1.0] - 2026-11-28\n\n- First.\n")
    federation.commit("changelog")


def test_release_tags_after_check_build_and_verify(federation, steps):
    add_section(federation)
    tag = release.release(federation.workspace, "alpha", say=lambda line: None)
    assert tag == "polymath-alpha-v0.1.0"
    assert federation.git("tag", "--list").split() == ["polymath-alpha-v0.1.0"]
    assert steps == [("build", "foundation"), ("build", "alpha"), ("verify", "alpha")]
    with pytest.raises(MetaError, match="already exists"):
        release.release(federation.workspace, "alpha", say=lambda line: None)


def test_release_needs_a_changelog_section(federation, steps):
    with pytest.raises(MetaError, match=r"no section for 0\.1\.0"):
        release.release(federation.workspace, "alpha")
    assert steps == []


def test_release_refuses_uncommitted_changes(federation, steps):
    add_section(federation)
    federation.write("alpha/src/polymath/alpha/model.py", "X = 1\n")
    with pytest.raises(MetaError, match="uncommitted changes in alpha/"):
        release.release(federation.workspace, "alpha")


def test_release_stops_when_check_fails(federation, steps):
    path = federation.root / "alpha/pyproject.toml"
    path.write_text(path.read_text().replace(",<0.2", ""))
    add_section(federation)
    with pytest.raises(MetaError, match="has no upper bound"):
        release.release(federation.workspace, "alpha")
    assert steps == []
    assert federation.git("tag", "--list") == ""
