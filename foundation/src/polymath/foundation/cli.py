"""The ``polymath`` command: list packages, run recipes, drive LightningCLI, open the MLflow UI."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from polymath.foundation.config import ConfigError
from polymath.foundation.contract import (
    BrokenPackageError,
    UnknownPackageError,
    UnknownRecipeError,
    discover_packages,
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
    if rest and args.command not in ("fit", "validate", "test"):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return args.handler(args, rest)
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
        help="run a recipe, tracked in MLflow",
        description="Overrides are dotted KEY=VALUE pairs, values parsed as YAML: "
        "model.lr=3e-4 trainer.max_steps=200 trainer.strategy=ddp trainer.devices=2",
    )
    run.add_argument("package")
    run.add_argument("recipe")
    run.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    run.add_argument(
        "--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or ./mlflow.db)"
    )
    run.set_defaults(handler=_run)

    for name in ("fit", "validate", "test"):
        sub = commands.add_parser(
            name,
            help=f"LightningCLI {name} over a package's module and datamodule",
            description="Any further arguments go to LightningCLI (e.g. --trainer.max_steps=10).",
        )
        sub.add_argument("package")
        sub.add_argument("--config", required=True, type=Path, help="LightningCLI YAML file")
        sub.add_argument("--tracking-uri")
        sub.set_defaults(handler=_lightning_cli, subcommand=name)

    ui = commands.add_parser("ui", help="the MLflow UI on the default store, on 127.0.0.1")
    ui.add_argument("--port", type=int, default=5000)
    ui.add_argument("--tracking-uri")
    ui.set_defaults(handler=_ui)

    demo = commands.add_parser(
        "demo", help="every installed package's quick recipe, then a summary"
    )
    demo.add_argument("--recipe", default="quick")
    demo.add_argument("--tracking-uri")
    demo.set_defaults(handler=_demo)
    return parser


def _list(args: argparse.Namespace, rest: list[str]) -> int:
    packages = discover_packages()
    if not packages:
        print("no polymath packages installed")
        return 0
    for package in packages.values():
        foundation = package.foundation_range or "-"
        print(
            f"{package.name:24} {package.version:10} foundation {foundation:16} {package.summary}"
        )
        for name, recipe in package.recipes.items():
            print(f"    {name:12} {recipe.description}")
    return 0


def _run(args: argparse.Namespace, rest: list[str]) -> int:
    from polymath.foundation.runner import run_recipe
    from polymath.foundation.training import shutdown_distributed

    try:
        result = run_recipe(
            args.package, args.recipe, args.overrides, tracking_uri=args.tracking_uri
        )
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


def _lightning_cli(args: argparse.Namespace, rest: list[str]) -> int:
    from polymath.foundation.lightning_cli import run_lightning_cli

    if not args.config.is_file():
        raise FileNotFoundError(f"config file not found: {args.config}")
    from polymath.foundation.training import shutdown_distributed

    try:
        run_lightning_cli(args.subcommand, args.package, args.config, rest, args.tracking_uri)
    finally:
        shutdown_distributed()
    return 0


def _ui(args: argparse.Namespace, rest: list[str]) -> int:
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


def _demo(args: argparse.Namespace, rest: list[str]) -> int:
    from polymath.foundation.demo import run_demo

    return run_demo(args.recipe, args.tracking_uri)


if __name__ == "__main__":
    sys.exit(main())
