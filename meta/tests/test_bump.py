from datetime import date

import pytest
from polymath_meta import bump, checks
from polymath_meta.workspace import MetaError


def test_bump_turns_fragments_into_a_changelog_section(federation):
    federation.write("alpha/CHANGELOG.md", "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n- First.\n")
    federation.write("alpha/changes/retry.added.md", "Retry shards that fail to open.\n")
    federation.write("alpha/changes/nan.fixed.md", "Stop on a NaN loss\nnaming the step.\n")
    federation.write("alpha/changes/old-api.removed.md", "The old `fit_all` helper.\n")
    federation.write("alpha/changes/sampler.changed.md", "Faster sampler.\n")

    lines = bump.bump(federation.workspace, "alpha", "minor")

    assert lines == ["alpha: 0.1.0 -> 0.2.0 (4 fragments into CHANGELOG.md)"]
    assert federation.workspace.get("alpha").version == "0.2.0"
    text = (federation.root / "alpha/CHANGELOG.md").read_text()
    today = date.today().isoformat()
    assert text == (
        f"# Changelog\n\n## [0.2.0] - {today}\n\n"
        "### Added\n\n- Retry shards that fail to open.\n\n"
        "### Changed\n\n- Faster sampler.\n\n"
        "### Removed\n\n- The old `fit_all` helper.\n\n"
        "### Fixed\n\n- Stop on a NaN loss\n  naming the step.\n\n"
        "## [0.1.0] - 2026-01-01\n\n- First.\n"
    )
    assert [p.name for p in (federation.root / "alpha/changes").iterdir()] == ["README.md"]


def test_a_multi_bullet_fragment_keeps_its_bullets(federation):
    federation.write(
        "alpha/changes/loaders.added.md",
        "- HDF5 loader for the survey files.\n- npz loader\n  for the simulations.\n- CSV loader.\n",
    )
    bump.bump(federation.workspace, "alpha", "minor")
    text = (federation.root / "alpha/CHANGELOG.md").read_text()
    assert (
        "### Added\n\n- HDF5 loader for the survey files.\n- npz loader\n  for the simulations.\n"
        "- CSV loader.\n" in text
    )


def test_an_unknown_fragment_type_is_refused_and_nothing_changes(federation):
    federation.write("alpha/changes/speed.faster.md", "Faster.\n")
    federation.write("alpha/changes/plain.md", "No type at all.\n")
    with pytest.raises(MetaError, match=r"Invalid news fragment name: (plain|speed)"):
        bump.bump(federation.workspace, "alpha", "minor")
    assert federation.workspace.get("alpha").version == "0.1.0"
    assert (federation.root / "alpha/changes/speed.faster.md").exists()


def test_an_emptied_changes_folder_stays_in_git(federation):
    (federation.root / "alpha/changes/README.md").unlink()
    federation.write("alpha/changes/x.fixed.md", "A fix.\n")
    federation.commit("fragment, no README")
    bump.bump(federation.workspace, "alpha", "patch")
    federation.commit("bump")
    tracked = federation.git("ls-files", "alpha/changes").split()
    assert tracked == ["alpha/changes/README.md"]


def test_bump_keeps_the_rest_of_the_pyproject(federation):
    federation.write("beta/changes/x.fixed.md", "A fix.\n")
    before = (federation.root / "beta/pyproject.toml").read_text()
    bump.bump(federation.workspace, "beta", "patch")
    after = (federation.root / "beta/pyproject.toml").read_text()
    assert after == before.replace('version = "0.1.0"', 'version = "0.1.1"')


def test_bump_without_fragments_is_refused(federation):
    with pytest.raises(MetaError, match="no fragments"):
        bump.bump(federation.workspace, "alpha", "patch")
    assert federation.workspace.get("alpha").version == "0.1.0"


def test_breaking_foundation_bump_names_the_dependents_left_behind(federation):
    federation.write("foundation/changes/api.breaking.md", "Rename `fit` to `train`.\n")
    lines = bump.bump(federation.workspace, "foundation", "minor")
    assert lines[1].startswith("these ranges do not admit polymath-foundation 0.2.0: alpha, beta")
    assert checks.problems(federation.workspace, poetry=None) == [
        "alpha: foundation range <0.2,>=0.1.0 does not admit the local foundation 0.2.0",
        "beta: foundation range <0.2,>=0.1.0 does not admit the local foundation 0.2.0",
    ]


def test_widen_dependents_moves_their_ceilings_and_asks_for_releases(federation):
    federation.write("foundation/changes/api.breaking.md", "Rename `fit` to `train`.\n")
    lines = bump.bump(federation.workspace, "foundation", "minor", widen=True)
    assert lines[1:] == [
        "widened the polymath-foundation range of: alpha, beta",
        "these still need a release: alpha, beta (meta bump NAME patch)",
    ]
    workspace = federation.workspace
    assert str(workspace.get("alpha").foundation_requirement.specifier) == "<0.3,>=0.1.0"
    assert checks.problems(workspace, poetry=None) == []
    note = (federation.root / "alpha/changes/foundation-0.2.0.changed.md").read_text()
    assert "Admit polymath-foundation 0.2.0" in note
    assert bump.bump(workspace, "alpha", "patch") == [
        "alpha: 0.1.0 -> 0.1.1 (1 fragments into CHANGELOG.md)"
    ]


def test_patch_bump_of_foundation_with_an_api_break_is_refused(federation):
    federation.tag("polymath-foundation-v0.1.0")
    federation.write("foundation/changes/x.changed.md", "Something.\n")

    def finder(workspace, tag):
        assert tag == "polymath-foundation-v0.1.0"
        return ["polymath.foundation.fit(data): Parameter was removed"]

    with pytest.raises(MetaError, match="public API breaks"):
        bump.bump(federation.workspace, "foundation", "patch", find_breakages=finder)
    assert federation.workspace.foundation.version == "0.1.0"
    bump.bump(federation.workspace, "foundation", "minor", find_breakages=finder)
    assert federation.workspace.foundation.version == "0.2.0"


def test_changes_readme_is_not_a_fragment(federation):
    federation.write("alpha/changes/x.security.md", "Pin the loader.\n")
    bump.bump(federation.workspace, "alpha", "major")
    assert federation.workspace.get("alpha").version == "1.0.0"
    assert (
        "### Security\n\n- Pin the loader." in (federation.root / "alpha/CHANGELOG.md").read_text()
    )
    assert (federation.root / "alpha/changes/README.md").is_file()


def test_changelog_only_keeps_a_version_set_by_hand(federation):
    federation.replace("foundation/pyproject.toml", 'version = "0.1.0"', 'version = "0.2.0"')
    federation.write("foundation/changes/api.breaking.md", "Recipes are YAML files.\n")
    line = bump.changelog_only(federation.workspace, "foundation")
    assert line == "foundation: 1 fragments into the CHANGELOG section of 0.2.0"
    text = (federation.root / "foundation/CHANGELOG.md").read_text()
    assert "## [0.2.0] - " in text and "### Breaking\n\n- Recipes are YAML files.\n" in text
    assert federation.workspace.foundation.version == "0.2.0"
    with pytest.raises(MetaError, match="already has a section for 0.2.0"):
        bump.changelog_only(federation.workspace, "foundation")
