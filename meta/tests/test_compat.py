from datetime import date

from polymath_meta import compat


def use_lower_bound(federation, package, lower):
    path = federation.root / package / "pyproject.toml"
    path.write_text(path.read_text().replace(">=0.1.0,<0.2", f">={lower},<0.2"))


def test_oldest_foundation_comes_from_its_tag_and_a_missing_tag_is_recorded(federation):
    federation.write("foundation/src/polymath/foundation/__init__.py", "VALUE = 'old'\n")
    federation.commit("old foundation")
    federation.tag("polymath-foundation-v0.1.0")
    federation.write("foundation/src/polymath/foundation/__init__.py", "VALUE = 'new'\n")
    use_lower_bound(federation, "beta", "0.1.1")
    seen = []

    def runner(package, env):
        seen.append((package.name, env.get("PYTHONPATH", "")))
        return "pass"

    rows = compat.compat(federation.workspace, runner)

    assert [(r.package.name, r.foundation, r.result) for r in rows] == [
        ("alpha", "0.1.0 (oldest)", "pass"),
        ("alpha", "0.1.0 (local)", "pass"),
        ("beta", "0.1.1 (oldest)", "untested (no tag)"),
        ("beta", "0.1.0 (local)", "pass"),
    ]
    worktree_src = seen[0][1].split(":")[0]
    assert worktree_src.endswith("tree/foundation/src")
    assert len(federation.git("worktree", "list").splitlines()) == 1

    text = compat.render(rows, date(2026, 11, 28))
    assert "| alpha | 0.1.0 | `<0.2,>=0.1.0` | 0.1.0 (oldest) | pass | 2026-11-28 |" in text
    assert (
        "| beta | 0.1.0 | `<0.2,>=0.1.1` | 0.1.1 (oldest) | untested (no tag) | 2026-11-28 |"
        in text
    )
    assert "Untested (no tag)" in text


def test_package_tests_really_run_against_the_tagged_foundation(federation):
    federation.write("foundation/src/polymath/foundation/__init__.py", "VALUE = 'old'\n")
    federation.commit("old foundation")
    federation.tag("polymath-foundation-v0.1.0")
    federation.write(
        "alpha/tests/test_value.py",
        "import polymath.foundation\n\n\n"
        "def test_sees_the_old_foundation():\n"
        "    assert polymath.foundation.VALUE == 'old'\n",
    )
    workspace = federation.workspace
    alpha = workspace.get("alpha")
    row = compat.oldest_row(workspace, alpha, compat.run_tests)
    assert row.result == "pass"
    assert len(federation.git("worktree", "list").splitlines()) == 1
