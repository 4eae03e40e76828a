"""`polymath run example smoke` on 2 CPU processes (DDP, gloo); rank 0 sends itself SIGTERM in a
phase: `train` (after step 3), `validate` (after each validation inside the fit, the sanity check
included), `test` (after the last test batch) or `report` (outside any Trainer).

    python ddp_sigterm.py PHASE [--tracking-uri URI]

Lightning starts rank 1 by running this script again, so the hook is patched on both ranks; only
rank 0 sends the signal, as `kill PID` or a scheduler stopping the launched command would.
"""

import os
import signal
import sys

import polymath.example.module as example
from polymath.foundation.cli import main


def sigterm(*args, **kwargs) -> None:
    if os.environ.get("LOCAL_RANK", "0") == "0":
        os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    phase, rest = sys.argv[1], sys.argv[2:]
    if phase == "train":
        example.Regression.on_train_batch_end = lambda self, *_: self.global_step == 3 and sigterm()
    elif phase == "validate":
        example.Regression.on_validation_end = lambda self: sigterm()
    elif phase == "test":
        example.Regression.on_test_end = lambda self: sigterm()
    else:
        example.report = sigterm
    ddp = ["trainer.strategy=ddp", "trainer.devices=2", "trainer.accelerator=cpu"]
    sys.exit(main(["run", "example", "smoke", *ddp, *rest]))
