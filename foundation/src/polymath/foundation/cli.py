"""The ``polymath`` command: list packages, run and evaluate recipes, open the MLflow UI.

Light to start: ``polymath --help`` and ``polymath list`` import neither torch, Lightning nor
MLflow; a command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polymath.foundation.config import ConfigError
from polymath.foundation.contract import (
    BrokenPackageError,
    UnknownPackageError,
    UnknownRecipeError,
    load_packages,
)

EXPECTED_ERRORS = (
    ConfigError,
    UnknownPackageError,
    UnknownRecipeError,
    BrokenPackageError,
    FileNotFoundError,
    FloatingPointError,
    ValueError,
    TypeError,
)
"""Errors shown as one line; ``POLYMATH_TRACEBACK=1`` shows their traceback as well."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    unknown = [item for item in rest if item.startswith("-") or "=" not in item]
    if unknown or (rest and not hasattr(args, "overrides")):
        parser.error(f"unrecognized arguments: {' '.join(unknown or rest)}")
    if rest:  # overrides written after an option: polymath run PKG RECIPE --print-config a.b=1
        args.overrides = [*args.overrides, *rest]
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("polymath: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if not _expected(error) or os.environ.get("POLYMATH_TRACEBACK"):
            raise
        print(f"polymath: error: {_one_line(error)}", file=sys.stderr)
        return 1


def _expected(error: Exception) -> bool:
    from polymath.foundation.tracking import TrackingUnavailableError

    return isinstance(error, (*EXPECTED_ERRORS, TrackingUnavailableError))


def _one_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polymath", description="Train, track and compare the polymath paper packages."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="installed packages, versions and recipes")
    listing.set_defaults(handler=_list)

    run = commands.add_parser(
        "run",
        help="run a recipe (or a saved configuration), tracked in MLflow",
        description="Overrides are dotted KEY=VALUE pairs, values parsed as YAML and checked "
        "against the classes they configure: model.n_heads=2 trainer.max_steps=200 "
        "trainer.strategy=ddp trainer.devices=2",
    )
    run.add_argument("package")
    run.add_argument("recipe", nargs="?", help="a recipe name (omit with --config)")
    run.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    _configured(run)
    run.add_argument(
        "--print-config", action="store_true", help="print the resolved configuration and exit"
    )
    run.add_argument(
        "--register",
        nargs="?",
        const="",
        metavar="NAME",
        help="also register the final model in the Model Registry (default name: the package)",
    )
    run.set_defaults(handler=_run)

    for name, text in (("fit", "fit only"), ("test", "test a model")):
        sub = commands.add_parser(
            name,
            help=f"{text} with a configuration file (the format of recipes and of a run's config.yaml)",
        )
        sub.add_argument("package")
        sub.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
        _configured(sub, required=True)
        if name == "test":
            sub.add_argument("--model", required=True, help="run id, runs:/ or models:/ URI, file")
        sub.set_defaults(handler=_stage, stage=name)

    evaluate = commands.add_parser(
        "evaluate", help="re-run a package's test sets on a logged model, without training"
    )
    evaluate.add_argument("package")
    evaluate.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    evaluate.add_argument("--model", required=True, help="run id, runs:/ or models:/ URI, file")
    evaluate.add_argument("--recipe", help="whose data to test on (default: the model's own run)")
    _configured(evaluate)
    evaluate.set_defaults(handler=_evaluate)

    ui = commands.add_parser("ui", help="the MLflow UI on the default store, on 127.0.0.1")
    ui.add_argument("--port", type=int, default=5000)
    ui.add_argument("--tracking-uri")
    ui.set_defaults(handler=_ui)

    demo = commands.add_parser(
        "demo", help="every installed package's quick recipe, then a summary"
    )
    demo.add_argument("--recipe", default="quick")
    demo.add_argument("--tracking-uri")
    demo.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        help="recipes run at a time, each in its own process with its share of the cores",
    )
    demo.set_defaults(handler=_demo)
    return parser


def _configured(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument(
        "--config", type=Path, required=required, help="a recipe file or a run's config.yaml"
    )
    parser.add_argument(
        "--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or ./mlflow.db)"
    )


def _positive_int(text: str) -> int:
    """argparse's type for counts: its error names the value in one line."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _list(args: argparse.Namespace) -> int:
    packages, broken = load_packages()
    for name, reason in broken.items():
        print(f"polymath: package {name!r} is skipped: {reason}", file=sys.stderr)
    if not packages:
        print("no polymath packages installed")
        return 0
    for package in packages.values():
        foundation = package.foundation_range or "-"
        print(
            f"{package.name:24} {package.version:10} foundation {foundation:16} {package.summary}"
        )
        for name in package.recipe_files:
            print(f"    {name:12} {package.description(name)}")
    return 0


def _split(args: argparse.Namespace) -> tuple[str | None, list[str]]:
    """``run PKG KEY=VALUE --config F``: argparse takes the first override for the recipe."""
    recipe, overrides = args.recipe, list(args.overrides)
    if recipe is not None and "=" in recipe:
        recipe, overrides = None, [recipe, *overrides]
    if recipe is not None and args.config is not None:
        raise ConfigError("give a recipe name or --config FILE, not both")
    if recipe is None and args.config is None:
        raise ConfigError("name a recipe (polymath list shows them) or give --config FILE")
    return recipe, overrides


def _run(args: argparse.Namespace) -> int:
    recipe, overrides = _split(args)
    if args.print_config:
        from polymath.foundation.config import to_yaml
        from polymath.foundation.contract import get_package
        from polymath.foundation.runner import resolve_recipe

        package = get_package(args.package)
        resolved = resolve_recipe(package, recipe, overrides, args.config)
        print(to_yaml(resolved.to_mapping()), end="")
        return 0
    from polymath.foundation.runner import run_recipe

    register = None if args.register is None else (args.register or args.package)
    return _report(
        lambda: run_recipe(
            args.package, recipe, overrides, args.tracking_uri, args.config, register=register
        )
    )


def _stage(args: argparse.Namespace) -> int:
    from polymath.foundation import stages
    from polymath.foundation.runner import run_recipe

    experiment = (
        stages.fit_only
        if args.stage == "fit"
        else stages.evaluate_model(args.model, args.tracking_uri)
    )
    return _report(
        lambda: run_recipe(
            args.package,
            None,
            args.overrides,
            args.tracking_uri,
            args.config,
            experiment=experiment,
        )
    )


def _evaluate(args: argparse.Namespace) -> int:
    from polymath.foundation.stages import evaluate

    return _report(
        lambda: evaluate(
            args.package, args.model, args.recipe, args.config, args.overrides, args.tracking_uri
        )
    )


def _report(run: Any) -> int:
    from polymath.foundation.training import shutdown_distributed

    try:
        result = run()
    finally:
        shutdown_distributed()
    if result.run_id is None:
        return 0
    print(f"run id:   {result.run_id}")
    print(f"store:    {result.tracking_uri}")
    print(f"workdir:  {result.workdir}")
    print(f"time:     {result.seconds:.1f} s")
    for key in sorted(result.metrics):
        print(f"  {key:32} {result.metrics[key]:.6g}")
    return 0


def _ui(args: argparse.Namespace) -> int:
    from polymath.foundation.tracking import default_artifact_location, resolve_tracking_uri

    uri = resolve_tracking_uri(args.tracking_uri)
    command = [
        "mlflow",
        "ui",
        "--backend-store-uri",
        uri,
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
    ]
    artifacts = default_artifact_location(uri)
    if artifacts:
        command += ["--default-artifact-root", artifacts]
    print(f"MLflow UI for {uri} at http://127.0.0.1:{args.port}", flush=True)
    os.execvp(command[0], command)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from polymath.foundation.demo import run_demo

    return run_demo(args.recipe, args.tracking_uri, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
