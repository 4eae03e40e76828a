import pytest

from polymath.foundation.config import ConfigError, apply_overrides, flatten, parse_override

BASE = {"model": {"lr": 0.1, "layers": 2}, "data": {"name": "a"}, "trainer": {"max_steps": 5}}


def test_override_values_are_parsed_as_yaml():
    assert parse_override("model.lr=3e-4") == (["model", "lr"], 3e-4)
    assert parse_override("data.name=b") == (["data", "name"], "b")
    assert parse_override("model.layers=[1, 2]") == (["model", "layers"], [1, 2])
    assert parse_override("trainer.resume=null") == (["trainer", "resume"], None)


def test_overrides_copy_and_set():
    resolved = apply_overrides(BASE, ["model.lr=0.5", "trainer.max_steps=7"])
    assert resolved["model"]["lr"] == 0.5 and resolved["trainer"]["max_steps"] == 7
    assert BASE["model"]["lr"] == 0.1


def test_new_trainer_settings_are_allowed():
    assert apply_overrides(BASE, ["trainer.devices=2"])["trainer"]["devices"] == 2


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.lrr=1", "unknown config key 'model.lrr'"),
        ("optim.lr=1", "unknown config key 'optim'"),
        ("model.lr", "expected KEY.PATH=VALUE"),
        ("=3", "expected KEY.PATH=VALUE"),
        ("model..lr=3", "expected KEY.PATH=VALUE"),
        ("model.lr=[1", "not valid YAML"),
        ("model.lr.x=1", "is not a section"),
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
