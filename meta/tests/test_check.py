from polymath_meta import checks
from polymath_meta.cli import main


def problems(federation):
    return checks.problems(federation.workspace, poetry=None)


def test_workspace_discovers_polymath_packages_only(federation):
    federation.write("notes/pyproject.toml", '[project]\nname = "something-else"\n')
    assert [p.name for p in federation.workspace.packages] == ["foundation", "alpha", "beta"]


def test_a_consistent_federation_passes_with_real_poetry_check(federation):
    assert checks.problems(federation.workspace) == []


def test_range_that_does_not_admit_the_local_foundation(federation):
    federation.write(
        "foundation/pyproject.toml",
        (federation.root / "foundation/pyproject.toml")
        .read_text()
        .replace('version = "0.1.0"', 'version = "0.2.0"'),
    )
    found = problems(federation)
    assert len(found) == 2
    assert all("does not admit the local foundation 0.2.0" in line for line in found)
    assert {line.split(":")[0] for line in found} == {"alpha", "beta"}


def set_alpha_dependency(federation, requirement):
    path = federation.root / "alpha/pyproject.toml"
    path.write_text(path.read_text().replace("polymath-foundation>=0.1.0,<0.2", requirement))


def test_range_without_upper_bound(federation):
    set_alpha_dependency(federation, "polymath-foundation>=0.1.0")
    assert problems(federation) == ["alpha: foundation range >=0.1.0 has no upper bound"]


def test_range_without_lower_bound(federation):
    set_alpha_dependency(federation, "polymath-foundation<0.2")
    assert problems(federation) == ["alpha: foundation range <0.2 has no lower bound"]


def test_missing_foundation_dependency(federation):
    set_alpha_dependency(federation, "numpy>=1")
    assert problems(federation) == [
        "alpha: [project].dependencies does not name polymath-foundation"
    ]


def test_direct_reference_instead_of_range(federation):
    set_alpha_dependency(federation, "polymath-foundation @ file:///somewhere/foundation")
    found = problems(federation)
    assert len(found) == 1
    assert "direct reference (file:///somewhere/foundation)" in found[0]


def test_version_that_is_not_pep_440(federation):
    path = federation.root / "beta/pyproject.toml"
    path.write_text(path.read_text().replace('version = "0.1.0"', 'version = "one.two"'))
    assert problems(federation) == ["beta: version 'one.two' is not PEP 440"]


def test_sibling_imports_are_reported_with_file_and_line(federation):
    federation.write(
        "alpha/src/polymath/alpha/model.py",
        "import polymath.foundation\n"
        "from polymath.foundation import VALUE\n"
        "import polymath.beta.model\n"
        "from polymath import beta\n"
        "from polymath.beta import VALUE as OTHER\n",
    )
    found = problems(federation)
    assert [line.split(": ")[0] for line in found] == [
        "alpha/src/polymath/alpha/model.py:3",
        "alpha/src/polymath/alpha/model.py:4",
        "alpha/src/polymath/alpha/model.py:5",
    ]
    assert all("alpha imports sibling package polymath.beta" in line for line in found)


def test_poetry_check_failure_is_reported(federation):
    (federation.root / "beta/README.md").unlink()
    found = checks.problems(federation.workspace)
    assert len(found) == 1
    assert found[0].startswith("beta: poetry check failed:")
    assert "README" in found[0]


def test_released_version_without_changelog_section(federation):
    federation.tag("polymath-alpha-v0.1.0")
    assert problems(federation) == ["alpha: released version 0.1.0 has no section in CHANGELOG.md"]
    federation.write("alpha/CHANGELOG.md", "# Changelog\n\n## [0.1.0] - 2026-11-28\n\n- First.\n")
    assert problems(federation) == []


def test_cli_prints_one_line_per_problem_and_fails(federation, capsys):
    set_alpha_dependency(federation, "polymath-foundation")
    code = main(["--root", str(federation.root), "check", "--no-poetry"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines == [
        "alpha: foundation range (none) has no lower bound",
        "alpha: foundation range (none) has no upper bound",
    ]


def test_cli_passes_on_a_clean_federation(federation, capsys):
    assert main(["--root", str(federation.root), "check", "--no-poetry"]) == 0
    assert "ok (3 packages)" in capsys.readouterr().out


def test_cli_lists_package_folders_foundation_first(federation, capsys):
    assert main(["--root", str(federation.root), "list"]) == 0
    assert capsys.readouterr().out == "foundation\nalpha\nbeta\n"
