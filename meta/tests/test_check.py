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
    assert found[0] == "beta: missing README.md"
    assert found[1].startswith("beta: poetry check failed:")
    assert "README" in found[1]
    assert len(found) == 2


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


def test_a_half_built_package_says_what_it_lacks(federation):
    federation.write(
        "gamma/pyproject.toml",
        """[project]
name = "polymath-gamma"
version = "0.1.0"
dependencies = ["polymath-foundation>=0.1.0,<0.2"]
""",
    )
    federation.write("gamma/src/polymath/gamma/__init__.py", "")
    found = [line for line in problems(federation) if line.startswith("gamma")]
    assert found == [
        "gamma: missing README.md",
        "gamma: missing CHANGELOG.md",
        "gamma: missing LICENSE",
        "gamma: missing changes/ (fragments; keep its README.md so git keeps it)",
        "gamma: missing tests/",
        "gamma: missing src/polymath/gamma/package.py",
        "gamma: missing src/polymath/gamma/model.py",
        "gamma: missing src/polymath/gamma/module.py",
        "gamma: missing recipe src/polymath/gamma/recipes/smoke.yaml",
        "gamma: missing recipe src/polymath/gamma/recipes/quick.yaml",
        "gamma: missing recipe src/polymath/gamma/recipes/paper.yaml",
        "gamma: missing tests/test_contract.py (runs the smoke recipe)",
        'gamma: pyproject.toml needs [project.entry-points."polymath.packages"] '
        'gamma = "polymath.gamma.package:PACKAGE"',
    ]


def test_a_namespace_init_and_missing_readme_sections_are_reported(federation):
    federation.write("alpha/src/polymath/__init__.py", "")
    federation.write("alpha/README.md", "# alpha\n\n## Install\n\n## Results vs the paper\n")
    assert problems(federation) == [
        "alpha: src/polymath/__init__.py must not exist (namespace package)",
        "alpha: README.md has no '## Quick start' section",
        "alpha: README.md has no '## Recipes' section",
    ]


def test_readme_links_that_leave_the_package(federation):
    federation.write("alpha/docs/guide.md", "guide\n")
    federation.write(
        "alpha/README.md",
        (federation.root / "alpha/README.md").read_text()
        + "[ok](docs/guide.md) [web](https://example.org/x) [anchor](#results)\n"
        + "[up](../foundation/README.md) [abs](/etc/passwd) [gone](docs/none.md)\n",
    )
    found = problems(federation)
    assert [line.split(": link ")[1].split(" ")[0] for line in found] == [
        "../foundation/README.md",
        "/etc/passwd",
        "docs/none.md",
    ]
    assert found[0].startswith("alpha: README.md:11: link ../foundation/README.md leaves")
    assert found[2].endswith("points at nothing")


def test_a_fragment_of_unknown_type_is_an_error(federation):
    federation.write("alpha/changes/speed.faster.md", "Faster.\n")
    federation.write("alpha/changes/ok.added.md", "Fine.\n")
    assert problems(federation) == ["alpha: changes/: Invalid news fragment name: speed.faster.md"]


def test_fragments_since_a_ref(federation, capsys):
    base = federation.git("rev-parse", "HEAD").strip()
    federation.write("alpha/src/polymath/alpha/extra.py", "X = 1\n")
    federation.commit("alpha without a fragment")
    args = ["--root", str(federation.root), "check", "--no-poetry", "--fragments-since", base]
    assert main(args) == 1
    assert capsys.readouterr().out == (
        f"alpha: no fragment in changes/ for the changes since {base}\n"
    )
    federation.write("alpha/changes/extra.added.md", "An extra module.\n")
    federation.commit("fragment")
    assert main(args) == 0
