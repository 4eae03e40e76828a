"""Experiments that run one stage of a recipe: ``polymath fit``, ``test`` and ``evaluate``."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from polymath.foundation.loading import load_model
from polymath.foundation.runner import RunContext, RunResult, _floats, run_recipe

_RUN_ID = re.compile(r"^(?:runs:/)?([0-9a-f]{32})(?:/.*)?$")


def fit_only(ctx: RunContext) -> dict[str, float]:
    """Fit (and validate), then log the final model: no test, no report."""
    module, datamodule = ctx.build_module(), ctx.build_datamodule()
    trainer = ctx.trainer()
    ctx.fit(trainer, module, datamodule)
    if trainer.global_rank == 0:
        ctx.log_model(module)
    return _floats(trainer.callback_metrics)


def evaluate_model(
    source: str, tracking_uri: str | None = None
) -> Callable[[RunContext], dict[str, float]]:
    """An experiment that tests the plain model from ``source`` inside the recipe's module; the
    model is loaded now, so a bad source fails before any run exists."""
    model = load_model(source, tracking_uri)

    def experiment(ctx: RunContext) -> dict[str, float]:
        module, datamodule = ctx.build_module(), ctx.build_datamodule()
        module.model = model
        trainer = ctx.trainer()
        trainer.test(module, datamodule=datamodule, verbose=False)
        return _floats(trainer.callback_metrics)

    return experiment


def evaluate(
    package: str,
    source: str,
    recipe: str | None = None,
    config_file: str | None = None,
    overrides: Sequence[str] = (),
    tracking_uri: str | None = None,
) -> RunResult:
    """Re-runs the test sets on a logged model without training, as a new tracked run.

    The configuration is the model's own run's ``config.yaml`` when ``source`` names a run (or a
    registered version of one), else ``recipe`` or ``config_file``.
    """
    experiment = evaluate_model(source, tracking_uri)
    if recipe is not None or config_file is not None:
        return run_recipe(
            package, recipe, overrides, tracking_uri, config_file, experiment=experiment
        )
    run_id = _run_of(source, tracking_uri)
    if run_id is None:  # a model file or checkpoint: test it on the quick recipe's data
        return run_recipe(package, "quick", overrides, tracking_uri, experiment=experiment)
    with tempfile.TemporaryDirectory() as scratch:
        config = _download_config(run_id, tracking_uri, Path(scratch))
        return run_recipe(package, None, overrides, tracking_uri, config, experiment=experiment)


def _run_of(source: str, tracking_uri: str | None) -> str | None:
    match = _RUN_ID.match(source)
    if match:
        return match[1]
    if source.startswith("models:/"):
        from mlflow import MlflowClient

        from polymath.foundation.tracking import resolve_tracking_uri

        name, _, version = source[len("models:/") :].partition("/")
        client = MlflowClient(resolve_tracking_uri(tracking_uri))
        return client.get_model_version(name, version).run_id
    return None


def _download_config(run_id: str, tracking_uri: str | None, folder: Path) -> Path:
    from mlflow import MlflowClient

    from polymath.foundation.tracking import resolve_tracking_uri

    client = MlflowClient(resolve_tracking_uri(tracking_uri))
    return Path(client.download_artifacts(run_id, "config.yaml", str(folder)))
