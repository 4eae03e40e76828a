"""``polymath fit|validate|test``: LightningCLI over a package's classes, tracked in MLflow."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lightning import Trainer
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import MLFlowLogger

from polymath.foundation import tracking
from polymath.foundation.contract import get_package
from polymath.foundation.training import NonFiniteLossGuard


class TrackedCLI(LightningCLI):
    """LightningCLI whose Trainer logs to the run's MLflow logger and stops on a non-finite loss."""

    def __init__(self, *args: Any, tracked_logger: MLFlowLogger, **kwargs: Any) -> None:
        self.tracked_logger = tracked_logger
        super().__init__(*args, **kwargs)

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        chosen = self._get(self.config_init, "trainer", default={}).get("callbacks") or []
        chosen = chosen if isinstance(chosen, list) else [chosen]
        return super().instantiate_trainer(
            logger=self.tracked_logger, callbacks=[*chosen, NonFiniteLossGuard()], **kwargs
        )


def run_lightning_cli(
    subcommand: str,
    package_name: str,
    config: Path,
    arguments: Sequence[str] = (),
    tracking_uri: str | None = None,
) -> LightningCLI:
    """Parses ``config`` and ``arguments`` for the package's module, datamodule and Trainer; runs."""
    package = get_package(package_name)
    uri = tracking.resolve_tracking_uri(tracking_uri)
    tracking.ensure_reachable(uri)
    logger = tracking.create_logger(
        package.name, tracking.make_run_name(package.name, subcommand), tracking_uri=uri
    )
    cli = TrackedCLI(
        package.module,
        package.datamodule,
        args=["--config", str(config), *arguments],
        run=False,
        save_config_callback=None,
        tracked_logger=logger,
    )
    tracking.log_run_metadata(logger, cli.config.as_dict(), world_size=cli.trainer.world_size)
    getattr(cli.trainer, subcommand)(cli.model, datamodule=cli.datamodule)
    logger.finalize("FINISHED")
    return cli
