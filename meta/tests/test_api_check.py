from polymath_meta import apicheck

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
    assert lines == ["no polymath-foundation-v* tag yet: nothing to compare the API against"]


def test_a_break_without_a_breaking_bump_fails(federation):
    set_foundation(federation, OLD)
    federation.commit("fit")
    federation.tag("polymath-foundation-v0.1.0")
    set_foundation(federation, NEW, version="0.1.1")
    passed, lines = apicheck.api_check(federation.workspace)
    assert not passed
    assert "without a breaking version bump (0.1.1)" in lines[0]
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
