"""Drills for the release gate, each in a temporary federation; the slow ones build wheels and run
the packages' tests in fresh venvs (seconds each: the fake packages need only packaging and pytest).
"""

import pytest
from polymath_meta import release
from polymath_meta.workspace import MetaError

OLD_API = "VALUE = 'old'\n\n\ndef write_shards(data):\n    return data\n"
RENAMED = "VALUE = 'new'\n\n\ndef write_dataset(data):\n    return data\n"


def quiet(line):
    pass


def section(federation, package, version):
    path = federation.root / package / "CHANGELOG.md"
    old = path.read_text().removeprefix("# Changelog\n")
    path.write_text(f"# Changelog\n\n## [{version}] - 2026-11-29\n\n- Something.\n{old}")


def set_version(federation, package, old, new):
    federation.replace(f"{package}/pyproject.toml", f'version = "{old}"', f'version = "{new}"')
    section(federation, package, new)


@pytest.fixture(autouse=True)
def no_poetry_check(monkeypatch):
    """`poetry check` is drilled in test_check; here it would only cost seconds per package."""
    monkeypatch.setattr(release.checks, "poetry_check", lambda package: iter(()))


@pytest.fixture
def released_foundation(federation):
    """foundation 0.1.0 released, with write_shards in its public API."""
    federation.write("foundation/src/polymath/foundation/__init__.py", OLD_API)
    section(federation, "foundation", "0.1.0")
    federation.commit("foundation 0.1.0")
    federation.tag("polymath-foundation-v0.1.0")
    return federation


@pytest.fixture
def no_venvs(monkeypatch):
    """Stops the gate before it builds anything, for drills about the earlier gates."""

    def stop(workspace):
        raise MetaError("stopped before the build")

    monkeypatch.setattr(release, "clean_dist", stop)


def test_a_renamed_public_function_with_a_patch_bump_is_refused(released_foundation, no_venvs):
    federation = released_foundation
    federation.write("foundation/src/polymath/foundation/__init__.py", RENAMED)
    set_version(federation, "foundation", "0.1.0", "0.1.1")
    federation.commit("rename write_shards, patch bump")
    with pytest.raises(MetaError) as error:
        release.release(federation.workspace, "foundation", say=quiet)
    message = str(error.value)
    assert "API breaks since polymath-foundation-v0.1.0 without a breaking version bump" in message
    assert "write_shards" in message
    assert "polymath-foundation-v0.1.1" not in federation.git("tag", "--list")


def test_a_foundation_minor_that_dependents_exclude_is_refused(released_foundation, no_venvs):
    federation = released_foundation
    set_version(federation, "foundation", "0.1.0", "0.2.0")
    federation.commit("foundation 0.2.0")
    with pytest.raises(MetaError) as error:
        release.release(federation.workspace, "foundation", say=quiet)
    assert str(error.value) == (
        "foundation 0.2.0 is outside the range of: alpha (<0.2,>=0.1.0), beta (<0.2,>=0.1.0); "
        "widen them (meta bump foundation ... --widen-dependents, or by hand) once they pass"
    )
    assert federation.git("tag", "--list").split() == ["polymath-foundation-v0.1.0"]


def test_only_a_clean_tree_on_main_is_released(released_foundation, no_venvs):
    federation = released_foundation
    section(federation, "alpha", "0.1.0")
    with pytest.raises(MetaError, match=r"not clean \(alpha/CHANGELOG.md\)"):
        release.release(federation.workspace, "alpha", say=quiet)
    federation.commit("alpha changelog")
    federation.git("checkout", "-q", "-b", "feature")
    with pytest.raises(MetaError, match="made from main, not from 'feature'"):
        release.release(federation.workspace, "alpha", say=quiet)


def test_a_release_needs_its_changelog_section_and_a_new_tag(released_foundation, no_venvs):
    with pytest.raises(MetaError, match=r"no section for 0\.1\.0"):
        release.release(released_foundation.workspace, "alpha", say=quiet)
    with pytest.raises(MetaError, match="polymath-foundation-v0.1.0 already exists"):
        release.release(released_foundation.workspace, "foundation", say=quiet)


def test_a_failing_check_refuses(released_foundation, no_venvs):
    federation = released_foundation
    federation.replace("alpha/pyproject.toml", ",<0.2", "")
    section(federation, "alpha", "0.1.0")
    federation.commit("no ceiling")
    with pytest.raises(MetaError, match="has no upper bound"):
        release.release(federation.workspace, "alpha", say=quiet)


@pytest.mark.slow
def test_a_foundation_release_passes_every_gate(released_foundation):
    federation = released_foundation
    federation.write("foundation/src/polymath/foundation/extra.py", "X = 1\n")
    set_version(federation, "foundation", "0.1.0", "0.1.1")
    federation.commit("foundation 0.1.1")
    (federation.root / "dist").mkdir()
    (federation.root / "dist" / "polymath_foundation-0.0.9-py3-none-any.whl").write_text("stale")
    said = []
    tag = release.release(federation.workspace, "foundation", say=said.append)
    assert tag == "polymath-foundation-v0.1.1"
    assert sorted(p.name for p in (federation.root / "dist").iterdir()) == [
        "polymath_foundation-0.1.1-py3-none-any.whl",
        "polymath_foundation-0.1.1.tar.gz",
    ]
    assert "compat: alpha against polymath-foundation 0.1.1: pass" in said
    assert "compat: beta against polymath-foundation 0.1.1: pass" in said


def test_a_paper_package_needing_an_unreleased_foundation_api_is_refused(released_foundation):
    """The install drill CI runs: three wheels, two fresh venvs, the floor named in the refusal."""
    federation = released_foundation
    federation.write(
        "foundation/src/polymath/foundation/__init__.py",
        OLD_API + "\n\ndef new_api():\n    return 1\n",
    )
    federation.write(
        "alpha/tests/test_new_api.py",
        "from polymath.foundation import new_api\n\n\ndef test_new_api():\n    assert new_api() == 1\n",
    )
    set_version(federation, "alpha", "0.1.0", "0.1.1")
    federation.commit("alpha uses an unreleased foundation API")
    with pytest.raises(MetaError) as error:
        release.release(federation.workspace, "alpha", say=quiet)
    first = str(error.value).splitlines()[0]
    assert first == (
        "alpha: its tests fail against polymath-foundation 0.1.0, the floor of its range "
        "<0.2,>=0.1.0: raise the floor to the first release it works with."
    )
    assert "new_api" in str(error.value)
    assert "polymath-alpha-v0.1.1" not in federation.git("tag", "--list")


def test_a_floor_that_was_never_released_is_refused(released_foundation, monkeypatch):
    federation = released_foundation
    federation.replace("alpha/pyproject.toml", ">=0.1.0,<0.2", ">=0.1.1,<0.2")
    federation.replace("foundation/pyproject.toml", 'version = "0.1.0"', 'version = "0.1.1"')
    section(federation, "alpha", "0.1.0")
    federation.commit("alpha floor 0.1.1, unreleased")
    monkeypatch.setattr(release, "tests_in_venv", lambda *args: None)
    with pytest.raises(
        MetaError, match=r"floor of its range, polymath-foundation 0.1.1, was never"
    ):
        release.release(federation.workspace, "alpha", say=quiet)
