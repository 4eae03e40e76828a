"""``polymath fit|validate|test``: LightningCLI over a package's classes, tracked in MLflow."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lightning.pytorch.cli import LightningCLI

from polymath.foundation import tracking
from polymath.foundation.contract import get_package
from polymath.foundation.training import NonFiniteLossGuard


def run_lightning_cli(
    subcommand: str,
    package_name: str,
    config: Path,
    arguments: Sequence[str] = (),
    tracking_uri: str | None = None,
) -> LightningCLI:
    """Parses ``config`` plus ``arguments`` for the package's module, datamodule and Trainer, then runs."""
    package = get_package(package_name)
    uri = tracking.resolve_tracking_uri(tracking_uri)
    tracking.ensure_reachable(uri)
    logger = tracking.create_logger(
        package.name, tracking.make_run_name(package.name, subcommand), tracking_uri=uri
    )
    cli = LightningCLI(
        package.module,
        package.datamodule,
        args=["--config", str(config), *arguments],
        run=False,
        save_config_callback=None,
        trainer_defaults={"logger": logger, "callbacks": [NonFiniteLossGuard()]},
    )
    tracking.log_run_metadata(logger, cli.config.as_dict(), world_size=cli.trainer.world_size)
    getattr(cli.trainer, subcommand)(cli.model, datamodule=cli.datamodule)
    logger.finalize("FINISHED")
    return cli
