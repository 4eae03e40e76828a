from polymath_meta import apicheck, git

OLD = "def fit(data, epochs=1):\n    return data\n"
NEW = "def fit(data, epochs, *, seed=0):\n    return data\n"


def set_foundation(federation, code, version=None):
    federation.write("foundation/src/polymath/foundation/__init__.py", code)
    if version:
        path = federation.root / "foundation/pyproject.toml"
        text = path.read_text().replace('version = "0.1.0"', f'version = "{version}"')
        path.write_text(text)


def test_without_a_tag_it_says_so_and_passes(federation):
    passed, lines = apicheck.api_check(federation.workspace)
    assert passed
    assert lines == ["foundation: no release reachable from HEAD: no API to compare against"]


def test_a_break_without_a_breaking_bump_fails(federation):
    set_foundation(federation, OLD)
    federation.commit("fit")
    federation.tag("polymath-foundation-v0.1.0")
    set_foundation(federation, NEW, version="0.1.1")
    passed, lines = apicheck.api_check(federation.workspace)
    assert not passed
    assert "without a breaking version bump (0.1.1;" in lines[0]
    assert any("epochs" in line for line in lines[1:])


def test_a_break_with_a_minor_bump_on_0x_passes(federation):
    set_foundation(federation, OLD)
    federation.commit("fit")
    federation.tag("polymath-foundation-v0.1.0")
    set_foundation(federation, NEW, version="0.2.0")
    passed, lines = apicheck.api_check(federation.workspace)
    assert passed
    assert "allowed by the breaking bump to 0.2.0" in lines[0]


def test_an_addition_passes(federation):
    set_foundation(federation, OLD)
    federation.commit("fit")
    federation.tag("polymath-foundation-v0.1.0")
    set_foundation(federation, OLD + "\ndef evaluate(data):\n    return data\n", version="0.1.1")
    assert apicheck.api_check(federation.workspace)[0]


def test_lines_carry_no_colour_codes(federation):
    set_foundation(federation, OLD)
    federation.commit("fit")
    federation.tag("polymath-foundation-v0.1.0")
    set_foundation(federation, NEW, version="0.1.1")
    lines = apicheck.api_check(federation.workspace)[1]
    assert not any("\x1b" in line for line in lines)
    assert "run `meta bump foundation minor`" in lines[0]


def test_a_release_on_another_branch_is_not_the_last_release(federation):
    set_foundation(federation, OLD)
    federation.commit("fit")
    federation.git("checkout", "-q", "-b", "hotfix")
    set_foundation(federation, NEW, version="0.1.5")
    federation.commit("hotfix")
    federation.tag("polymath-foundation-v0.1.5")
    federation.git("checkout", "-q", "main")
    passed, lines = apicheck.api_check(federation.workspace)
    assert passed
    assert lines == ["foundation: no release reachable from HEAD: no API to compare against"]
    assert git.released_versions(federation.root, federation.workspace.foundation) == []


def test_paper_packages_are_checked_too(federation):
    federation.write("alpha/src/polymath/alpha/__init__.py", "VALUE = 1\n" + OLD)
    federation.commit("alpha fit")
    federation.tag("polymath-alpha-v0.1.0")
    federation.write("alpha/src/polymath/alpha/__init__.py", "VALUE = 1\n")
    alpha = federation.workspace.get("alpha")
    passed, lines = apicheck.api_check(federation.workspace, alpha)
    assert not passed
    assert lines[0].startswith("alpha: 1 API breaks since polymath-alpha-v0.1.0")
