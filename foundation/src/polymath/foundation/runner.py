"""Running a package's recipe as one tracked MLflow run."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lightning import LightningDataModule, LightningModule, Trainer, seed_everything
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.utilities import rank_zero_only

from polymath.foundation import tracking
from polymath.foundation.config import apply_overrides, to_yaml
from polymath.foundation.contract import PaperPackage, get_package
from polymath.foundation.training import TrainerConfig, build_trainer, fit

RUNS_DIR = "polymath_runs"
RUN_FILE = "run.json"
COMPLETED_FILE = "COMPLETED"
_STAMP_VARIABLE = "POLYMATH_RUN_STAMP"


@dataclass(frozen=True)
class RunResult:
    run_id: str | None
    metrics: dict[str, float]
    tracking_uri: str
    seconds: float
    workdir: Path


@dataclass
class RunContext:
    """What an experiment gets: its configuration, its tracked run and a way to build trainers."""

    package: PaperPackage
    recipe: str
    config: dict[str, Any]
    logger: MLFlowLogger | None
    workdir: Path

    @property
    def trainer_config(self) -> TrainerConfig:
        config = TrainerConfig.from_mapping(self.config.get("trainer", {}))
        if config.checkpoint_dir is None:
            config = config.replace(checkpoint_dir=str(self.workdir / "checkpoints"))
        return config

    def trainer(self, logger: bool = True, **overrides: Any) -> Trainer:
        """A Trainer from the recipe's trainer section plus ``overrides``; ``logger=False`` for sub-fits."""
        config = self.trainer_config.replace(**overrides)
        if not logger:
            config = config.replace(checkpoint_dir=None, resume=None)
        return build_trainer(config, logger=self.logger if logger and self.logger else False)

    def fit(
        self,
        trainer: Trainer,
        module: LightningModule,
        datamodule: LightningDataModule | None = None,
    ) -> None:
        """Fits, continuing from the last checkpoint under ``resume="auto"``, then logs checkpoints."""
        fit(trainer, module, datamodule, self.trainer_config)
        checkpoints = self.workdir / "checkpoints"
        if self.logger is not None and trainer.global_rank == 0 and checkpoints.is_dir():
            self.logger.experiment.log_artifacts(
                self.logger.run_id, str(checkpoints), "checkpoints"
            )

    def log_figure(self, fig: Any, name: str) -> None:
        if self.logger is not None:
            tracking.log_figure(self.logger, fig, name)

    def log_table(self, rows: Sequence[Mapping[str, Any]], name: str) -> None:
        if self.logger is not None:
            tracking.log_table(self.logger, rows, name)

    def register_model(self, model: Any, name: str | None = None) -> Any:
        """Registers ``model`` (a plain torch module) in the Model Registry, tagged with the version."""
        if self.logger is None:
            return None
        return tracking.register_model(
            self.logger, model, name or self.package.name, self.package.version
        )

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self.logger is not None:
            self.logger.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)


def default_experiment(ctx: RunContext) -> dict[str, float]:
    """One module fitted on one datamodule, tested if the datamodule has a test set, then reported."""
    module = ctx.package.module(**ctx.config.get("model", {}))
    datamodule = ctx.package.datamodule(**ctx.config.get("data", {}))
    trainer = ctx.trainer()
    ctx.fit(trainer, module, datamodule)
    metrics = _floats(trainer.callback_metrics)
    if _overrides(datamodule, "test_dataloader"):
        trainer.test(module, datamodule=datamodule, verbose=False)
        metrics.update(_floats(trainer.callback_metrics))
    if ctx.package.report is not None and trainer.global_rank == 0:
        ctx.package.report(ctx, module, datamodule)
    return metrics


def run_recipe(
    package_name: str,
    recipe_name: str,
    overrides: Sequence[str] = (),
    tracking_uri: str | None = None,
) -> RunResult:
    """Runs a recipe with dotted overrides as one MLflow run; raises before training on bad input."""
    package = get_package(package_name)
    recipe = package.recipe(recipe_name)
    config = apply_overrides(recipe.config, overrides)
    trainer_config = TrainerConfig.from_mapping(config.get("trainer", {}))
    uri = tracking.resolve_tracking_uri(tracking_uri)
    if rank_zero_only.rank == 0:
        tracking.ensure_reachable(uri)
    workdir, previous_run = _workdir(package.name, recipe_name, trainer_config.resume == "auto")
    logger = _logger(package, recipe_name, uri, previous_run)
    ctx = RunContext(package, recipe_name, config, logger, workdir)
    seed_everything(trainer_config.seed, workers=True)
    started = time.perf_counter()
    try:
        if logger is not None and previous_run is None:
            tracking.log_run_metadata(logger, config, world_size=trainer_config.world_size or 1)
            _remember_run(workdir, logger.run_id)
        elif logger is not None:  # MLflow params are immutable: keep the first, record the change
            logger.experiment.log_text(logger.run_id, to_yaml(config), "config-resumed.yaml")
        metrics = dict((recipe.experiment or default_experiment)(ctx))
        seconds = time.perf_counter() - started
        ctx.log_metrics({"run/seconds": seconds})
    except BaseException as error:  # the runner, not Lightning's teardown, ends the MLflow run
        if logger is not None:
            tracking.end_run(logger, tracking.run_status(error))
        if isinstance(error, SystemExit) and error.code is None:  # Lightning's SIGTERMException
            raise SystemExit(143) from error
        raise
    if logger is not None:
        tracking.end_run(logger, "FINISHED")
    (workdir / COMPLETED_FILE).touch()
    run_id = logger.run_id if logger is not None else None
    return RunResult(run_id, metrics, uri, seconds, workdir)


def _logger(
    package: PaperPackage, recipe: str, uri: str, run_id: str | None
) -> MLFlowLogger | None:
    if rank_zero_only.rank != 0:
        return None
    name = tracking.make_run_name(package.name, recipe)
    return tracking.create_logger(
        package.name, name, tracking_uri=uri, run_id=run_id, log_model=False
    )


def _workdir(package: str, recipe: str, resume: bool) -> tuple[Path, str | None]:
    """A fresh directory per run; under ``resume="auto"`` the newest unfinished one and its run id."""
    root = Path(RUNS_DIR) / package / recipe
    if resume and root.is_dir():
        for candidate in sorted(root.iterdir(), reverse=True):
            if (candidate / RUN_FILE).is_file() and not (candidate / COMPLETED_FILE).exists():
                return candidate, json.loads((candidate / RUN_FILE).read_text())["run_id"]
    stamp = os.environ.get(_STAMP_VARIABLE) if rank_zero_only.rank != 0 else None
    if stamp is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        os.environ[_STAMP_VARIABLE] = (
            stamp  # the DDP launcher's child processes share the directory
        )
    workdir = root / stamp
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir, None


def _remember_run(workdir: Path, run_id: str) -> None:
    (workdir / RUN_FILE).write_text(json.dumps({"run_id": run_id}))


def _overrides(datamodule: LightningDataModule, hook: str) -> bool:
    """Whether the datamodule really offers ``hook`` (ShardDataModule sets a missing split to None)."""
    own = getattr(datamodule, hook, None)
    return callable(own) and getattr(type(datamodule), hook) is not getattr(
        LightningDataModule, hook
    )


def _floats(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {key: float(value) for key, value in metrics.items()}
