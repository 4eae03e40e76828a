"""Running a package's recipe as one tracked MLflow run (a sweep: a parent run with child runs).

Order matters: the recipe is resolved and validated, and its module and datamodule are built once,
before any MLflow run exists, so bad input never leaves a FAILED run behind. The runner, not
Lightning's teardown, ends the run: FINISHED only after the recipe's last step.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lightning import LightningDataModule, LightningModule, Trainer, seed_everything
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.utilities import rank_zero_only
from lightning.pytorch.utilities.exceptions import SIGTERMException

from polymath.foundation import preemption, quiet, tracking
from polymath.foundation.config import ConfigError, to_yaml
from polymath.foundation.contract import PaperPackage, Recipe, get_package, import_object
from polymath.foundation.loading import ModelArgsInCheckpoint, log_model
from polymath.foundation.sweep import SweepSpec, best_row, summarise, summary_figure
from polymath.foundation.trainer_config import TrainerConfig
from polymath.foundation.training import build_trainer, fit, resume_command
from polymath.foundation.validation import SWEEP_POINT_KEY, Targets, resolve, targets, with_point

RUNS_DIR = "polymath_runs"
RUN_FILE = "run.json"
COMPLETED_FILE = "COMPLETED"
METRICS_FILE = "metrics.json"
SWEEP_ID_VARIABLES = ("POLYMATH_SWEEP_ID", "SLURM_ARRAY_JOB_ID")
RECIPE_TAG = "polymath.recipe"
POINT_TAG = "polymath.sweep.point"
PARENT_TAG = "mlflow.parentRunId"
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
    """What an experiment gets: its configuration, its tracked run, and builders for its parts."""

    package: PaperPackage
    recipe: Recipe
    logger: MLFlowLogger | None
    workdir: Path
    targets: Targets | None = None
    register: str | None = None
    _prebuilt: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.recipe.config)

    @property
    def trainer_config(self) -> TrainerConfig:
        config = TrainerConfig.from_mapping(self.config.get("trainer", {}))
        if config.checkpoint_dir is None:
            config = config.replace(checkpoint_dir=str(self.workdir / "checkpoints"))
        return config

    def build_module(self, **overrides: Any) -> LightningModule:
        """The recipe's LightningModule from ``model`` (plus ``overrides``)."""
        if not overrides and "module" in self._prebuilt:
            return self._prebuilt.pop("module")
        return self._targets.module(**{**self.config["model"], **overrides})

    def build_datamodule(self, **overrides: Any) -> LightningDataModule:
        """The recipe's LightningDataModule from ``data`` (plus ``overrides``)."""
        if not overrides and "datamodule" in self._prebuilt:
            return self._prebuilt.pop("datamodule")
        return self._targets.datamodule(**{**self.config["data"], **overrides})

    @property
    def _targets(self) -> Targets:
        if self.targets is None:
            self.targets = targets(self.package, self.recipe)
        return self.targets

    def trainer(self, logger: bool = True, **overrides: Any) -> Trainer:
        """A Trainer from the recipe's trainer section plus ``overrides``; ``logger=False`` for
        throw-away sub-fits (no curves, checkpoints or resume: prefer a sweep)."""
        config = self.trainer_config.replace(**overrides)
        if not logger:
            config = config.replace(checkpoint_dir=None, resume=None)
        return build_trainer(
            config,
            logger=self.logger if logger and self.logger else False,
            callbacks=[ModelArgsInCheckpoint()],
        )

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

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self.logger is not None:
            self.logger.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)

    def log_model(self, module: Any, name: str | None = None) -> str | None:
        """Logs ``module.model`` (or a SavableModel) as the run's ``model``; registers it as
        ``name`` (or the run's ``register`` name) in the Model Registry."""
        if self.logger is None:
            return None
        return log_model(
            self.logger.experiment,
            self.logger.run_id,
            module,
            registered_name=name or self.register,
            metadata={"package": self.package.name, "package_version": self.package.version},
        )

    def register_model(self, model: Any, name: str | None = None) -> Any:
        """Logs and registers a plain model as a new version of ``name`` (default: the package)."""
        return self.log_model(model, name or self.package.name)


def default_experiment(ctx: RunContext) -> dict[str, float]:
    """Fit, test when the datamodule has a test set, report, and log the final model."""
    module = ctx.build_module()
    datamodule = ctx.build_datamodule()
    trainer = ctx.trainer()
    ctx.fit(trainer, module, datamodule)
    metrics = _floats(trainer.callback_metrics)
    if _overrides(datamodule, "test_dataloader"):
        trainer.test(module, datamodule=datamodule, verbose=False)
        metrics.update(_floats(trainer.callback_metrics))
    if trainer.global_rank == 0:
        if ctx.package.report is not None:
            import_object(ctx.package.report)(ctx, module, datamodule)
        ctx.log_model(module)
    return metrics


def _experiment_of(recipe: Recipe) -> Callable[[RunContext], Mapping[str, float]]:
    """The default experiment, or the recipe's ``run`` function called as ``run(ctx, **experiment)``."""
    if recipe.experiment is not None:
        return recipe.experiment
    if recipe.run is None:
        return default_experiment
    function = import_object(recipe.run)

    def experiment(ctx: RunContext) -> Mapping[str, float]:
        settings = {k: v for k, v in ctx.config["experiment"].items() if k != SWEEP_POINT_KEY}
        return function(ctx, **settings)

    return experiment


def resolve_recipe(
    package: PaperPackage,
    recipe_name: str | None = None,
    overrides: Sequence[str] = (),
    config_file: str | os.PathLike[str] | None = None,
) -> Recipe:
    """The recipe (or saved configuration) with overrides applied, validated and completed."""
    if config_file is not None:
        recipe = Recipe.from_file(config_file)
    elif recipe_name is not None:
        recipe = package.recipe(recipe_name)
    else:
        raise ConfigError("name a recipe or give --config FILE")
    return resolve(package, recipe, overrides)


def run_recipe(
    package_name: str,
    recipe_name: str | None = None,
    overrides: Sequence[str] = (),
    tracking_uri: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    register: str | None = None,
    experiment: Callable[[RunContext], Mapping[str, float]] | None = None,
) -> RunResult:
    """Runs a recipe with dotted overrides as one MLflow run; raises before any run on bad input.

    ``experiment`` replaces the recipe's own (``polymath fit``/``test`` use this). SIGTERM at any
    moment ends the run KILLED (see ``preemption``).
    """
    quiet.install()
    with preemption.stop_on_sigterm():
        try:
            return _run_recipe(package_name, recipe_name, overrides, tracking_uri, config_file,
                               register, experiment)  # fmt: skip
        except preemption.Preempted as error:  # before any run existed
            _say_preempted(error, None)
            raise SystemExit(preemption.EXIT_CODE) from error


def _run_recipe(
    package_name: str,
    recipe_name: str | None,
    overrides: Sequence[str],
    tracking_uri: str | None,
    config_file: str | os.PathLike[str] | None,
    register: str | None,
    experiment: Callable[[RunContext], Mapping[str, float]] | None,
) -> RunResult:
    package = get_package(package_name)
    recipe = resolve_recipe(package, recipe_name, overrides, config_file)
    found = targets(package, recipe)
    trainer_config = TrainerConfig.from_mapping(recipe.config["trainer"])
    uri = tracking.resolve_tracking_uri(tracking_uri)
    body = experiment or _experiment_of(recipe)
    if recipe.sweep is not None and experiment is None:
        return _run_sweep(package, recipe, found, uri, body, register)
    seed_everything(trainer_config.seed, workers=True, verbose=False)
    prebuilt = _build(found, recipe.config)
    _ensure_reachable(uri)
    root = Path(RUNS_DIR) / package.name / (recipe.name or "config")
    workdir, previous = _workdir(root, trainer_config.resume == "auto")
    logger = _logger(package, recipe, uri, previous)
    ctx = RunContext(package, recipe, logger, workdir, found, register, prebuilt)
    seed_everything(trainer_config.seed, workers=True, verbose=False)
    metrics, seconds = _tracked(ctx, previous, body)
    return RunResult(logger.run_id if logger else None, metrics, uri, seconds, workdir)


def _build(found: Targets, config: Mapping[str, Any]) -> dict[str, Any]:
    """The module and datamodule, built once before the run exists, the package's ``check`` of the
    two together, and a throw-away Trainer: their own checks (and Lightning's) run now, so bad
    settings never leave a FAILED run."""
    built = {}
    for section, key, cls in (("model", "module", found.module), ("data", "datamodule", found.datamodule)):  # fmt: skip
        try:
            built[key] = cls(**config[section])
        except (ValueError, TypeError, RuntimeError, AssertionError) as error:
            raise ConfigError(
                f"{section}: {cls.__name__} refused its settings: {_first_line(error)}"
            ) from None
    if found.check is not None:
        try:
            found.check(config, built["module"], built["datamodule"])
        except (ValueError, TypeError) as error:
            raise ConfigError(_first_line(error)) from None
    trainer = TrainerConfig.from_mapping(config["trainer"])
    if trainer.resume not in (None, "auto") and not Path(trainer.resume).is_file():
        raise ConfigError(f"trainer.resume: no checkpoint at {trainer.resume}")
    try:
        build_trainer(
            trainer.replace(checkpoint_dir=None, resume=None, progress="none", threads=None)
        )
    except Exception as error:  # Lightning's MisconfigurationException, ValueError, ...
        raise ConfigError(
            f"trainer: Lightning refused the settings: {_first_line(error)}"
        ) from None
    return built


def _ensure_reachable(uri: str) -> None:
    """After the settings are checked, so that bad input neither waits on nor creates a store."""
    if rank_zero_only.rank == 0:
        tracking.ensure_reachable(uri)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _tracked(
    ctx: RunContext, previous: str | None, body: Callable[[RunContext], Mapping[str, float]]
) -> tuple[dict[str, float], float]:
    """Runs ``body`` inside the context's MLflow run and ends that run with the true status."""
    logger, started, run_id = ctx.logger, time.perf_counter(), None
    try:
        with preemption.held():  # the run is created now: a SIGTERM waits until it exists
            run_id = logger.run_id if logger is not None else None
        preemption.stop_if_requested()
        if logger is not None and previous is None:
            world = TrainerConfig.from_mapping(ctx.config["trainer"]).world_size or 1
            tracking.log_run_metadata(logger, ctx.recipe.to_mapping(), world_size=world)
            logger.experiment.set_tag(logger.run_id, RECIPE_TAG, ctx.recipe.name)
            _write_json(ctx.workdir / RUN_FILE, {"run_id": logger.run_id})
        elif logger is not None:  # MLflow params are immutable: keep the first, record the change
            logger.experiment.log_text(
                logger.run_id, to_yaml(ctx.recipe.to_mapping()), "config-resumed.yaml"
            )
        metrics = dict(body(ctx))
        seconds = time.perf_counter() - started
        ctx.log_metrics({"run/seconds": seconds})
    except BaseException as error:
        with preemption.held():
            _end_run(logger, error)
        if isinstance(error, SIGTERMException):
            _say_preempted(error, run_id)
            raise SystemExit(preemption.EXIT_CODE) from error
        raise
    with preemption.held():  # FINISHED, its metrics and COMPLETED as one step
        _end_run(logger)
        _write_json(ctx.workdir / METRICS_FILE, metrics)
        (ctx.workdir / COMPLETED_FILE).touch()
    return metrics, seconds


def _say_preempted(error: SIGTERMException, run_id: str | None) -> None:
    """One line, unless GracefulStop has said it already (with the step and the checkpoint)."""
    if rank_zero_only.rank != 0 or getattr(error, "reported", False):
        return
    run = f"run {run_id} is KILLED" if run_id else "no run was created"
    print(f"polymath: stopped by SIGTERM; {run}; resume with: {resume_command()}",
          file=sys.stderr, flush=True)  # fmt: skip


def _end_run(logger: MLFlowLogger | None, error: BaseException | None = None) -> None:
    """Ends the MLflow run with the recipe's true status (Lightning's teardown does not)."""
    if logger is not None and logger.run_id is not None:
        tracking.end_run(logger, tracking.run_status(error))


def _run_sweep(
    package: PaperPackage,
    recipe: Recipe,
    found: Targets,
    uri: str,
    body: Callable[[RunContext], Mapping[str, float]],
    register: str | None,
) -> RunResult:
    """One parent run, one child run per point; resumable, and runnable one point at a time."""
    spec = SweepSpec.from_mapping(recipe.sweep or {})
    points = spec.points()
    only = recipe.config["experiment"].get(SWEEP_POINT_KEY)
    if only is not None and not 0 <= only < len(points):
        raise ConfigError(f"experiment.point must be from 0 to {len(points) - 1}, not {only}")
    base = TrainerConfig.from_mapping(recipe.config["trainer"])
    resume = base.resume == "auto"
    for index in [only] if only is not None else range(len(points)):
        _build(found, with_point(recipe.config, points[index]))  # refuse bad points before any run
    _ensure_reachable(uri)
    root = Path(RUNS_DIR) / package.name / (recipe.name or "config")
    started = time.perf_counter()
    with _parent_run(root, resume, only is not None) as (workdir, previous), preemption.held():
        parent = _logger(package, recipe, uri, previous)
        parent_ctx = RunContext(package, recipe, parent, workdir, found, register)
        if parent is not None and previous is None:
            tracking.log_run_metadata(parent, recipe.to_mapping(), world_size=base.world_size or 1)
            parent.experiment.set_tag(parent.run_id, RECIPE_TAG, recipe.name)
            _write_json(workdir / RUN_FILE, {"run_id": parent.run_id})
    try:
        preemption.stop_if_requested()
        for index in [only] if only is not None else range(len(points)):
            _run_point(parent_ctx, spec, points, index, resume or only is not None, body)
    except BaseException as error:
        if only is None:  # a point of a job array leaves the parent to the other points
            with preemption.held():
                _end_run(parent, error)
        if isinstance(error, preemption.Preempted):  # between points
            _say_preempted(error, parent.run_id if parent else None)
            raise SystemExit(preemption.EXIT_CODE) from error
        raise
    metrics = _finish_sweep(parent_ctx, spec, points, time.perf_counter() - started)
    if only is not None:
        metrics = {**_read_json(workdir / f"point-{only:03d}" / METRICS_FILE), **metrics}
    return RunResult(
        parent.run_id if parent else None, metrics, uri, time.perf_counter() - started, workdir
    )


def _run_point(
    parent: RunContext,
    spec: SweepSpec,
    points: list[dict[str, Any]],
    index: int,
    resume: bool,
    body: Callable[[RunContext], Mapping[str, float]],
) -> None:
    workdir = parent.workdir / f"point-{index:03d}"
    if (workdir / COMPLETED_FILE).exists():
        print(f"sweep: point {index + 1}/{len(points)} already finished, skipped", flush=True)
        return
    workdir.mkdir(parents=True, exist_ok=True)
    previous = _read_json(workdir / RUN_FILE).get("run_id") if resume else None
    config = with_point(parent.recipe.config, points[index])
    config["experiment"].pop(SWEEP_POINT_KEY, None)
    if previous is not None:
        config["trainer"]["resume"] = "auto"
    recipe = replace(parent.recipe, config=config, sweep=None)
    shown = " ".join(f"{key}={value}" for key, value in points[index].items())
    print(f"sweep: point {index + 1}/{len(points)}: {shown}", flush=True)
    preemption.stop_if_requested()
    with preemption.held():
        logger = _point_logger(parent, index, previous)
    trainer_config = TrainerConfig.from_mapping(config["trainer"])
    seed_everything(trainer_config.seed, workers=True, verbose=False)
    ctx = RunContext(parent.package, recipe, logger, workdir, parent.targets, parent.register)
    _tracked(ctx, previous, body)


def _point_logger(parent: RunContext, index: int, previous: str | None) -> MLFlowLogger | None:
    """The child run of point ``index``, tagged with its parent (``previous``: resumed)."""
    logger = None
    if parent.logger is not None:
        name = f"{parent.logger._run_name or parent.recipe.name}/point-{index:03d}"
        logger = tracking.create_logger(
            parent.package.name, name, tracking_uri=parent.logger._tracking_uri,
            run_id=previous, log_model=False,
        )  # fmt: skip
        if previous is None:
            client = logger.experiment
            client.set_tag(logger.run_id, PARENT_TAG, parent.logger.run_id)
            client.set_tag(logger.run_id, POINT_TAG, str(index))
    return logger


def _finish_sweep(
    ctx: RunContext, spec: SweepSpec, points: list[dict[str, Any]], seconds: float
) -> dict[str, float]:
    """Once every point has finished: the summary table, its figure and the parent's end."""
    with _locked(ctx.workdir):
        rows = []
        for index, point in enumerate(points):
            folder = ctx.workdir / f"point-{index:03d}"
            if not (folder / COMPLETED_FILE).exists():
                return {}
            rows.append({"point": index, **point, **_read_json(folder / METRICS_FILE)})
        if (ctx.workdir / COMPLETED_FILE).exists():
            return {}
        summary = summarise(spec, rows)
        columns = ["point", *spec.axes, spec.metric]
        ctx.log_table([{k: row.get(k) for k in columns} for row in rows], "sweep_points")
        ctx.log_table(summary, "sweep_summary")
        figure = summary_figure(spec, summary)
        ctx.log_figure(figure, "sweep_summary")
        import matplotlib.pyplot as plt

        plt.close(figure)
        best = best_row(spec, rows)
        metrics = {}
        if best is not None:
            metrics = {
                f"best/{spec.metric}": float(best[spec.metric]),
                "best/point": float(best["point"]),
            }
        metrics["run/seconds"] = seconds
        ctx.log_metrics(metrics)
        with preemption.held():
            _end_run(ctx.logger)
            _write_json(ctx.workdir / METRICS_FILE, metrics)
            (ctx.workdir / COMPLETED_FILE).touch()
        print(f"sweep: {len(points)} points finished; best {spec.metric} = "
              f"{metrics.get(f'best/{spec.metric}', float('nan')):.4g}", flush=True)  # fmt: skip
        return metrics


@contextmanager
def _parent_run(root: Path, resume: bool, one_point: bool) -> Iterator[tuple[Path, str | None]]:
    """The sweep's folder and parent run id; points of one job array share them by sweep id."""
    if not one_point:
        yield _workdir(root, resume)
        return
    sweep_id = next((os.environ[v] for v in SWEEP_ID_VARIABLES if os.environ.get(v)), None)
    if sweep_id is None:
        raise ConfigError(
            "experiment.point needs POLYMATH_SWEEP_ID (or SLURM_ARRAY_JOB_ID) set, so that the "
            "points of one sweep share one parent run"
        )
    workdir = root / f"sweep-{sweep_id}"
    workdir.mkdir(parents=True, exist_ok=True)
    with _locked(workdir):
        yield workdir, _read_json(workdir / RUN_FILE).get("run_id")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _logger(
    package: PaperPackage, recipe: Recipe, uri: str, run_id: str | None
) -> MLFlowLogger | None:
    if rank_zero_only.rank != 0:
        return None
    name = tracking.make_run_name(package.name, recipe.name or "config")
    return tracking.create_logger(
        package.name, name, tracking_uri=uri, run_id=run_id, log_model=False
    )


def _workdir(root: Path, resume: bool) -> tuple[Path, str | None]:
    """A fresh directory per run; under ``resume="auto"`` the newest unfinished one and its run id."""
    if resume and root.is_dir():
        for candidate in sorted(root.iterdir(), reverse=True):
            if (candidate / RUN_FILE).is_file() and not (candidate / COMPLETED_FILE).exists():
                return candidate, _read_json(candidate / RUN_FILE)["run_id"]
    stamp = os.environ.get(_STAMP_VARIABLE) if rank_zero_only.rank != 0 else None
    if stamp is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        os.environ[_STAMP_VARIABLE] = stamp  # the DDP launcher's child processes share it
    workdir = root / stamp
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir, None


def _write_json(path: Path, values: Mapping[str, Any]) -> None:
    """Atomically: a temporary file, then a rename."""
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(json.dumps(dict(values), indent=1))
    os.replace(temporary, path)


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _overrides(datamodule: LightningDataModule, hook: str) -> bool:
    """Whether the datamodule really offers ``hook`` (ShardDataModule sets a missing split to None)."""
    own = getattr(datamodule, hook, None)
    return callable(own) and getattr(type(datamodule), hook) is not getattr(
        LightningDataModule, hook
    )


def _floats(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {key: float(value) for key, value in metrics.items()}
