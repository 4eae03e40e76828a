import pytest

from polymath.foundation.config import (
    ConfigError,
    apply_overrides,
    flatten,
    load_yaml,
    parse_override,
)

BASE = {"model": {"lr": 0.1, "layers": 2}, "data": {"name": "a"}, "trainer": {"max_steps": 5}}


def test_override_values_are_parsed_as_yaml_with_yaml_1_2_numbers():
    assert parse_override("model.lr=3e-4") == (["model", "lr"], 3e-4)
    assert parse_override("trainer.max_steps=2e3") == (["trainer", "max_steps"], 2000.0)
    assert parse_override("data.name=b") == (["data", "name"], "b")
    assert parse_override("model.layers=[1, 2]") == (["model", "layers"], [1, 2])
    assert parse_override("trainer.resume=null") == (["trainer", "resume"], None)
    assert parse_override("model.position=nan") == (["model", "position"], "nan")


def test_recipe_files_read_exponent_floats_as_numbers():
    assert load_yaml("lr: 3e-3\nsteps: 1e5\nname: e5") == {"lr": 3e-3, "steps": 1e5, "name": "e5"}


def test_overrides_copy_and_set_and_may_name_new_keys_inside_a_section():
    resolved = apply_overrides(BASE, ["model.lr=0.5", "model.n_heads=2", "data.extra.depth=3"])
    assert resolved["model"] == {"lr": 0.5, "layers": 2, "n_heads": 2}
    assert resolved["data"]["extra"] == {"depth": 3}
    assert BASE["model"] == {"lr": 0.1, "layers": 2}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optim.lr=1", "unknown section 'optim'"),
        ("model=3", "name a key inside the section"),
        ("model.lr", "expected KEY.PATH=VALUE"),
        ("=3", "expected KEY.PATH=VALUE"),
        ("model..lr=3", "expected KEY.PATH=VALUE"),
        ("model.lr=[1", "not valid YAML"),
        ("model.lr.x=1", "model.lr is not a section"),
    ],
)
def test_bad_overrides_name_the_problem(override, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        apply_overrides(BASE, [override])


def test_flatten():
    assert flatten(BASE) == {
        "model.lr": 0.1,
        "model.layers": 2,
        "data.name": "a",
        "trainer.max_steps": 5,
    }


def test_restricted_numbers_come_back_as_plain_builtins():
    """jsonargparse's restricted types (PositiveInt...) are int subclasses YAML cannot dump."""
    from jsonargparse.typing import PositiveInt

    from polymath.foundation.config import plain, to_yaml

    value = plain({"model": {"hidden": PositiveInt(8), "flags": (True,)}})
    assert type(value["model"]["hidden"]) is int and value["model"]["flags"] == [True]
    assert to_yaml({"hidden": PositiveInt(8)}) == "hidden: 8\n"
