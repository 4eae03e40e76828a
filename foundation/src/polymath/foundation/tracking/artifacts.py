"""Figures, tables and models of a run, stored as MLflow artifacts (rank zero only)."""

from __future__ import annotations

import csv
import io
import logging
import platform
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from typing import Any

import torch
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.utilities import rank_zero_only
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

FIGURES_DIR = "figures"
TABLES_DIR = "tables"
MODELS_DIR = "models"
PACKAGE_VERSION_TAG = "package_version"


@rank_zero_only
def log_figure(logger: MLFlowLogger, fig: Any, name: str) -> None:
    """Store a matplotlib figure as `figures/<name>.png`."""
    artifact = f"{FIGURES_DIR}/{_artifact_name(name, '.png')}"
    logger.experiment.log_figure(
        logger.run_id, fig, artifact, save_kwargs={"dpi": 150, "bbox_inches": "tight"}
    )


@rank_zero_only
def log_table(logger: MLFlowLogger, rows: Sequence[Mapping[str, Any]], name: str) -> None:
    """Store rows as `tables/<name>.csv` and `tables/<name>.md`; columns in first-seen order."""
    stem = _artifact_name(name, "")
    if not rows:
        raise ValueError(f"log_table: table {name!r} has no rows")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    client, run_id = logger.experiment, logger.run_id
    client.log_text(run_id, table_csv(rows, columns), f"{TABLES_DIR}/{stem}.csv")
    client.log_text(run_id, table_markdown(rows, columns), f"{TABLES_DIR}/{stem}.md")


@rank_zero_only
def register_model(
    logger: MLFlowLogger, model: torch.nn.Module, name: str, package_version: str
) -> ModelVersion:
    """Log `model` under `models/<name>` of the run and register it as a new version of `name`.

    The model is saved in MLflow's pytorch flavour with pickle serialization (the default pt2
    format needs an input example), so `mlflow.pytorch.load_model("models:/<name>/<version>")`
    loads it back. The version is tagged with `package_version`. Returns None on other ranks.
    """
    import mlflow.pytorch

    stem = _artifact_name(name, "")
    client, run_id = logger.experiment, logger.run_id
    artifact_path = f"{MODELS_DIR}/{stem}"
    with tempfile.TemporaryDirectory() as scratch:
        saved = Path(scratch) / stem
        with _quiet("mlflow.pytorch"):  # pickle is chosen on purpose; skip its warning
            mlflow.pytorch.save_model(
                model,
                saved,
                serialization_format="pickle",
                pip_requirements=[f"torch=={version('torch').split('+')[0]}"],
                metadata={
                    PACKAGE_VERSION_TAG: package_version,
                    "python": platform.python_version(),
                },
            )
        client.log_artifacts(run_id, str(saved), artifact_path)
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
    source = f"{client.get_run(run_id).info.artifact_uri}/{artifact_path}"
    return client.create_model_version(
        name, source, run_id=run_id, tags={PACKAGE_VERSION_TAG: package_version}
    )


def table_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def table_markdown(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    lines = [_markdown_row(columns), _markdown_row(["---"] * len(columns))]
    lines += [_markdown_row([_cell(row.get(column, "")) for column in columns]) for row in rows]
    return "\n".join(lines) + "\n"


def _markdown_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _artifact_name(name: str, suffix: str) -> str:
    """`name` as one file name inside the run's folder, with `suffix` added when missing."""
    path = PurePosixPath(name)
    if not name or name != path.name or name in (".", "..") or "\\" in name:
        raise ValueError(f"artifact name {name!r} must be a plain file name, without folders")
    return name if not suffix or name.endswith(suffix) else name + suffix
