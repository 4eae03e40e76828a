"""Drill: the bad-input table. Each bad invocation of the ``polymath`` command must fail in one
line that names the problem, without a traceback, and before any MLflow run exists.

    python foundation/drills/bad_inputs.py [--subprocess] [--only N]

Each case runs in a fresh folder with its own SQLite store, in this process through the CLI's
``main`` (or, with ``--subprocess``, as a real ``python -m polymath.foundation.cli``). Counted:
tracebacks (an exception escaping the command, or "Traceback" on stderr), unclear messages (not
one ``polymath: error:`` line, or one that does not name the setting) and runs left in the store.
Exits 1 unless all three are zero. Needs counting-transformers and likelihood-ratio installed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

COUNTING = ("run", "counting-transformers", "smoke")
RATIO = ("run", "likelihood-ratio", "smoke")


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    names: str
    """What the one-line message must contain: the setting, or the thing, that is wrong."""
    setup: str = ""
    """``db-text``, ``db-dir`` or ``bad-yaml``/``bad-key``: prepared in the case's folder."""


def _c(*overrides: str, names: str) -> Case:
    return Case((*COUNTING, *overrides), names)


def _r(*overrides: str, names: str) -> Case:
    return Case((*RATIO, *overrides), names)


CASES = [
    # issue 14 §6: raw tracebacks in foundation 0.1
    _c("trainer.max_steps=-5", names="trainer.max_steps"),
    _c("trainer.devices=0", names="trainer.devices"),
    _c("trainer.threads=0", names="trainer.threads"),
    _c("trainer.val_check_interval=0", names="trainer.val_check_interval"),
    _c("trainer.accumulate_grad_batches=0", names="trainer.accumulate_grad_batches"),
    _c("model.d_model=0", names="d_model"),
    _c("model.d_model=-16", names="d_model"),
    _r("trainer.max_epochs=abc", names="trainer.max_epochs"),
    # issue 14 §7: unclear messages and silently accepted values in 0.1
    _c("trainer.max_steps=abc", names="trainer.max_steps"),
    _c("model=3", names="model"),
    _c("trainer.max_steps=1.5", names="trainer.max_steps"),
    _c("trainer.log_every_n_steps=0", names="trainer.log_every_n_steps"),
    _c("trainer.checkpoint_every_n_steps=0", names="trainer.checkpoint_every_n_steps"),
    _c("trainer.max_steps=10^23", names="trainer.max_steps"),
    _c("trainer.max_steps=1e23", names="trainer.max_steps"),
    _c("model.position=nan", names="model.position"),
    # types, choices and ranges of the model
    _c("model.position=relative", names="model.position"),
    _c("model.decoder=none", names="model.decoder"),
    _c("model.causal=maybe", names="model.causal"),
    _c("model.n_heads=0", names="n_heads"),
    _c("model.n_heads=3", names="n_heads"),
    _c("model.lr=abc", names="model.lr"),
    _c("model.lr=-1", names="lr"),
    _c("model.max_count=0", names="max_count"),
    _c("model.d_ff=-1", names="d_ff"),
    _c("model.encoder_layers=-1", names="encoder_layers"),
    _c("model.n_head=2", names="n_heads"),
    # the data
    _c("data.batch_size=abc", names="data.batch_size"),
    _c("data.length=1", names="length"),
    _c("data.regions=0", names="region"),
    _c("data.density=2", names="density"),
    _c("data.ood_lengths=abc", names="data.ood_lengths"),
    _c("data.max_count=1", names="max_count"),
    # the trainer
    _c("trainer.strategy=horovod", names="trainer.strategy"),
    _c("trainer.precision=banana", names="precision"),
    _c("trainer.accelerator=tpu9", names="accelerator"),
    _c("trainer.mode=sideways", names="trainer.mode"),
    _c("trainer.progress=loud", names="trainer.progress"),
    _c("trainer.resume=/nonexistent/last.ckpt", names="trainer.resume"),
    _c("trainer.seed=-1", names="trainer.seed"),
    _c("trainer.max_epochs=abc", names="trainer.max_epochs"),
    _c("trainer.gradient_clip_val=-1", names="trainer.gradient_clip_val"),
    _c("trainer.limit_train_batches=2.0", names="trainer.limit_train_batches"),
    _c("trainer.num_nodes=0", names="trainer.num_nodes"),
    _c("trainer.max_stepz=10", names="trainer.max_stepz"),
    # the command line itself
    _c("experiment.foo=1", names="experiment.foo"),
    _c("optim.lr=1", names="optim"),
    _c("model.lr", names="model.lr"),
    _c("=3", names="'=3'"),
    _c("model..lr=1", names="model..lr"),
    _c("model.lr=[1", names="model.lr"),
    Case(("run", "nope", "smoke"), names="nope"),
    Case(("run", "counting-transformers", "fast"), names="fast"),
    Case(("run", "counting-transformers", "--config", "missing.yaml"), names="missing.yaml"),
    Case(("run", "counting-transformers", "--config", "bad.yaml"), "bad.yaml", "bad-yaml"),
    Case(("run", "counting-transformers", "--config", "bad.yaml"), "modle", "bad-key"),
    Case(("evaluate", "counting-transformers", "--model", "nothing"), names="nothing"),
    # the tracking store
    Case((*COUNTING, "--tracking-uri", "foo://"), names="foo://"),
    Case((*COUNTING, "--tracking-uri", "::::"), names="::::"),
    Case((*COUNTING, "--tracking-uri", "http://127.0.0.1:9"), names="127.0.0.1:9"),
    Case(COUNTING, names="mlflow.db", setup="db-text"),
    Case(COUNTING, names="mlflow.db", setup="db-dir"),
    # likelihood-ratio
    _r("model.members=0", names="members"),
    _r("model.loss=foo", names="foo"),
    _r("model.init=glorot", names="model.init"),
    _r("data.n=2", names="n"),
    _r("data.val_fraction=1.5", names="val_fraction"),
    _r("data.dataset=unknown", names="unknown"),
    _r("experiment.sizes=abc", names="experiment.sizes"),
    _r("experiment.objectives=[{loss: mlc, link: sigmoid}]", names="sigmoid"),
]


@dataclass
class Outcome:
    traceback: bool
    unclear: bool
    runs: int
    message: str


def _prepare(case: Case, folder: Path) -> None:
    if case.setup == "db-text":
        (folder / "mlflow.db").write_text("this is not a database\n" * 40)
    elif case.setup == "db-dir":
        (folder / "mlflow.db").mkdir()
    elif case.setup == "bad-yaml":
        (folder / "bad.yaml").write_text("model: [unclosed\n")
    elif case.setup == "bad-key":
        (folder / "bad.yaml").write_text("modle:\n  d_model: 16\n")


def _runs(folder: Path) -> int:
    database = folder / "mlflow.db"
    if not database.is_file():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(database)) as connection:
            return connection.execute("select count(*) from runs").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0


def _in_process(args: Sequence[str]) -> tuple[int | None, str]:
    from polymath.foundation.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException as error:  # what would have been a traceback
            return None, f"{type(error).__name__}: {error}"
    return code, err.getvalue()


def _in_subprocess(args: Sequence[str]) -> tuple[int | None, str]:
    result = subprocess.run(
        [sys.executable, "-m", "polymath.foundation.cli", *args],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return result.returncode, result.stderr


def run_case(case: Case, subprocess_mode: bool = False) -> Outcome:
    previous = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="bad-input-") as scratch:
        folder = Path(scratch)
        _prepare(case, folder)
        os.chdir(folder)
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        try:
            code, err = (_in_subprocess if subprocess_mode else _in_process)(case.args)
        finally:
            os.chdir(previous)
        lines = [line for line in err.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("polymath: error: ")]
        traceback = code is None or "Traceback" in err
        unclear = traceback or code == 0 or len(errors) != 1 or case.names not in errors[0]
        message = errors[0] if errors else (lines[-1] if lines else "")
        return Outcome(traceback, unclear, _runs(folder), message)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subprocess", action="store_true", help="run each case as a process")
    parser.add_argument("--only", type=int, help="the first N cases only")
    options = parser.parse_args(argv)
    cases = CASES[: options.only] if options.only else CASES
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    tracebacks = unclear = runs = 0
    for number, case in enumerate(cases, 1):
        outcome = run_case(case, options.subprocess)
        tracebacks += outcome.traceback
        unclear += outcome.unclear
        runs += outcome.runs
        flag = "TRACEBACK" if outcome.traceback else "UNCLEAR" if outcome.unclear else "ok"
        flag += f" +{outcome.runs} run" if outcome.runs else ""
        print(f"{number:3} {flag:14} {' '.join(case.args[1:])[:60]:60} {outcome.message[:110]}", flush=True)  # fmt: skip
    print(f"bad inputs: {len(cases)}; tracebacks: {tracebacks}; unclear messages: {unclear}; "
          f"runs created: {runs}")  # fmt: skip
    return 1 if tracebacks or unclear or runs else 0


if __name__ == "__main__":
    sys.exit(main())
