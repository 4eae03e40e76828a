from datetime import date

import pytest
from packaging.version import Version
from polymath_meta import compat

SUMMARY_TEST = """import importlib.metadata as m

SUMMARIES = {"0.1.0": "foundation as released first", "0.1.1": "foundation as released next"}


def test_the_installed_foundation_is_a_release():
    assert m.metadata("polymath-foundation")["Summary"] == SUMMARIES[m.version("polymath-foundation")]
"""


def release_foundation(federation, version, summary):
    path = federation.root / "foundation/pyproject.toml"
    text = path.read_text()
    text = text.replace(text.split("\n")[2], f'version = "{version}"')
    text = text.replace(text.split("\n")[3], f'description = "{summary}"')
    path.write_text(text)
    federation.commit(f"foundation {version}")
    federation.tag(f"polymath-foundation-v{version}")


def test_admitted_releases_are_those_in_the_range_and_reachable(federation):
    release_foundation(federation, "0.1.0", "first")
    release_foundation(federation, "0.1.1", "next")
    release_foundation(federation, "0.2.0", "breaking")
    federation.git("checkout", "-q", "-b", "side", "HEAD~1")
    release_foundation(federation, "0.1.5", "on a side branch")
    federation.git("checkout", "-q", "main")
    alpha = federation.workspace.get("alpha")
    assert compat.admitted_releases(federation.workspace, alpha) == [
        Version("0.1.0"),
        Version("0.1.1"),
    ]


def test_floors_take_the_highest_floor_and_skip_torch_and_polymath(tmp_path, monkeypatch):
    requirements = {
        "a.whl": ["numpy>=1.24", "torch>=2.13,<2.14", "polymath-foundation>=0.1,<0.2"],
        "b.whl": ["numpy>=1.26,<3", "scipy>=1.10", "rich", "tomli>=2; python_version < '3.11'"],
    }
    monkeypatch.setattr(compat.envs, "wheel_requirements", lambda wheel: requirements[wheel.name])
    found = compat.floors([tmp_path / "a.whl", tmp_path / "b.whl"])
    assert found == {"numpy": Version("1.26"), "scipy": Version("1.10")}


def test_the_table_says_what_was_installed_and_what_was_not(federation):
    alpha = federation.workspace.get("alpha")
    rows = [
        compat.Row(alpha, "0.1.0 (oldest)", "newest", "pass", 12.0),
        compat.Row(alpha, "0.1.1 (newest)", "newest", "fail: alpha: tests failed (exit 1):", 13.0),
        compat.Row(alpha, "0.1.0 (oldest)", "lowest", "pass", 30.0),
    ]
    text = compat.render(rows, {"numpy": Version("1.24")}, date(2026, 11, 29))
    assert "| alpha | 0.1.0 | `<0.2,>=0.1.0` | 0.1.0 (oldest) | newest | pass | 12 s |" in text
    assert "| alpha | 0.1.0 | `<0.2,>=0.1.0` | 0.1.0 (oldest) | lowest | pass | 30 s |" in text
    assert "Lowest third-party versions tested: numpy 1.24." in text
    assert "torch: only `torch==2.13.0` is tested" in text


def test_without_a_foundation_release_in_range_nothing_is_installed(federation):
    rows, _ = compat.compat(federation.workspace, [federation.workspace.get("alpha")], say=print)
    assert [(r.foundation, r.result) for r in rows] == [
        ("-", "untested: no foundation release in its range")
    ]


@pytest.mark.slow
def test_compat_installs_the_oldest_and_newest_release_wheels(federation):
    release_foundation(federation, "0.1.0", "foundation as released first")
    release_foundation(federation, "0.1.1", "foundation as released next")
    federation.write("foundation/src/polymath/foundation/__init__.py", "VALUE = 'unreleased'\n")
    federation.write("alpha/tests/test_summary.py", SUMMARY_TEST)
    federation.commit("work after 0.1.1")
    said = []
    rows, _ = compat.compat(
        federation.workspace, [federation.workspace.get("alpha")], say=said.append
    )
    assert [(r.foundation, r.third_party, r.result) for r in rows] == [
        ("0.1.0 (oldest)", "newest", "pass"),
        ("0.1.1 (newest)", "newest", "pass"),
    ]
