"""The fast version of drills/bad_inputs.py: a few bad invocations of the example package."""

import importlib.util
import sys
from pathlib import Path

import pytest

DRILL = Path(__file__).parents[1] / "drills" / "bad_inputs.py"
spec = importlib.util.spec_from_file_location("bad_inputs", DRILL)
bad_inputs = sys.modules["bad_inputs"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bad_inputs)
Case = bad_inputs.Case

SMOKE = ("run", "example", "smoke")
CASES = [
    Case((*SMOKE, "trainer.max_steps=-5"), "trainer.max_steps"),
    Case((*SMOKE, "trainer.val_check_interval=0"), "trainer.val_check_interval"),
    Case((*SMOKE, "trainer.max_steps=1e23"), "trainer.max_steps"),
    Case((*SMOKE, "model.features=0"), "features"),
    Case((*SMOKE, "data.features=3"), "model.features"),  # the package's check of the two
    Case((*SMOKE, "model.optimizer=nan"), "model.optimizer"),
    Case((*SMOKE, "model=3"), "model"),
    Case((*SMOKE, "trainer.precision=banana"), "precision"),
    Case((*SMOKE, "trainer.resume=/nonexistent/last.ckpt"), "trainer.resume"),
    Case(("run", "example", "--config", "bad.yaml"), "modle", "bad-key"),
    Case(("evaluate", "example", "--model", "nothing"), "nothing"),
]


@pytest.mark.usefixtures("example_site")
@pytest.mark.parametrize("case", CASES, ids=lambda case: " ".join(case.args[2:]))
def test_a_bad_input_is_one_clear_line_and_creates_no_run(case):
    outcome = bad_inputs.run_case(case)
    assert not outcome.traceback, outcome.message
    assert not outcome.unclear, outcome.message
    assert outcome.runs == 0
