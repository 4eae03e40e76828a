import pytest
from polymath_meta import changed, git
from polymath_meta.cli import main
from polymath_meta.workspace import MetaError


def affected(federation, base="HEAD"):
    files = git.changed_files(federation.root, base)
    return [p.name for p in changed.affected(federation.workspace, files)]


def make_beta_depend_on_alpha(federation):
    path = federation.root / "beta/pyproject.toml"
    path.write_text(
        path.read_text().replace(
            '"polymath-foundation>=0.1.0,<0.2"',
            '"polymath-foundation>=0.1.0,<0.2", "polymath-alpha>=0.1,<0.2"',
        )
    )
    federation.commit("beta uses alpha")


def test_nothing_changed(federation):
    assert affected(federation) == []


def test_a_package_change_selects_that_package(federation):
    federation.write("alpha/src/polymath/alpha/model.py", "X = 1\n")
    assert affected(federation) == ["alpha"]


def test_dependents_come_along(federation):
    make_beta_depend_on_alpha(federation)
    base = federation.git("rev-parse", "HEAD").strip()
    federation.write("alpha/src/polymath/alpha/__init__.py", "VALUE = 'changed'\n")
    federation.commit("alpha changes")
    assert affected(federation, base) == ["alpha", "beta"]


def test_a_dependent_does_not_select_what_it_depends_on(federation):
    make_beta_depend_on_alpha(federation)
    federation.write("beta/src/polymath/beta/model.py", "X = 1\n")
    assert affected(federation) == ["beta"]


def test_a_foundation_change_selects_all(federation):
    federation.write("foundation/src/polymath/foundation/__init__.py", "VALUE = 'next'\n")
    assert affected(federation) == ["foundation", "alpha", "beta"]


def test_shared_tooling_selects_all(federation):
    federation.write("scripts/test.sh", "echo\n")
    assert affected(federation) == ["foundation", "alpha", "beta"]


def test_unknown_base_is_a_clear_error(federation):
    with pytest.raises(MetaError, match="no-such-ref"):
        affected(federation, "no-such-ref")


def test_cli_prints_one_package_per_line(federation, capsys):
    federation.write("beta/README.md", "# beta, better\n")
    assert main(["--root", str(federation.root), "changed", "--base", "HEAD"]) == 0
    assert capsys.readouterr().out == "beta\n"


def suites(federation):
    return changed.suites(federation.workspace, git.changed_files(federation.root, "HEAD"))


def test_a_meta_change_selects_every_package_and_meta(federation):
    federation.write("meta/src/polymath_meta/cli.py", "# changed\n")
    assert affected(federation) == ["foundation", "alpha", "beta"]
    assert suites(federation) == ["foundation", "alpha", "beta", "meta"]


def test_a_package_change_does_not_run_meta(federation):
    federation.write("alpha/src/polymath/alpha/model.py", "X = 1\n")
    assert suites(federation) == ["alpha"]
