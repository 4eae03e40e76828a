"""Trained plain models in and out of MLflow and Lightning checkpoints.

``log_model`` stores a run's final ``SavableModel`` in MLflow's pytorch flavour (with an input
example where one exists) plus the polymath model file (class, arguments, weights);
``load_model`` rebuilds the plain model from a run id, a ``runs:/`` or ``models:/`` URI, a saved
model file or a Lightning checkpoint written with ``ModelArgsInCheckpoint``.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from copy import deepcopy
from importlib.metadata import version
from pathlib import Path
from typing import Any

import torch
from lightning import Callback, LightningModule, Trainer

from polymath.foundation.models import (
    MODEL_FORMAT,
    ModelFileError,
    SavableModel,
    model_from_checkpoint,
)

MODEL_ARTIFACT = "model"
MODEL_FILE = "polymath-model.pt"
CHECKPOINT_KEY = "polymath_model"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


class ModelArgsInCheckpoint(Callback):
    """Stores the class and arguments of ``module.model`` in every Lightning checkpoint.

    The weights are already there (``state_dict`` under ``model.``); with the arguments,
    ``load_model(checkpoint)`` rebuilds the plain model without the LightningModule.
    """

    def on_save_checkpoint(
        self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        model = getattr(pl_module, "model", None)
        if isinstance(model, SavableModel):
            checkpoint[CHECKPOINT_KEY] = {
                "format": MODEL_FORMAT,
                "class": model.class_path,
                "args": model.model_args,
                "prefix": "model.",
            }


def plain_model(module: Any) -> SavableModel:
    """``module.model`` of a LightningModule, or ``module`` itself when it is a SavableModel."""
    model = module if isinstance(module, SavableModel) else getattr(module, "model", None)
    if not isinstance(model, SavableModel):
        raise TypeError(
            f"{type(module).__name__} keeps no SavableModel at .model: make the plain model a "
            "polymath.foundation.SavableModel and store it as self.model"
        )
    return model


def log_model(
    client: Any,
    run_id: str,
    module: Any,
    registered_name: str | None = None,
    metadata: dict[str, str] | None = None,
) -> str:
    """Logs ``module.model`` under the run's ``model/`` artifacts; returns its ``runs:/`` URI.

    MLflow's pytorch flavour (pickle, so any model loads with ``mlflow.pytorch.load_model``), an
    input example from ``module.example_input_array`` when it is one tensor, and the polymath model
    file that ``load_model`` prefers. ``registered_name`` also registers a new model version.
    """
    import mlflow.pytorch

    model = plain_model(module)
    example = getattr(module, "example_input_array", None)
    example = example.detach().cpu().numpy() if isinstance(example, torch.Tensor) else None
    with tempfile.TemporaryDirectory() as scratch:
        saved = Path(scratch) / MODEL_ARTIFACT
        copy = deepcopy(model).cpu().eval()
        with _quiet("mlflow"):
            mlflow.pytorch.save_model(
                copy,
                saved,
                serialization_format="pickle",
                input_example=example,
                pip_requirements=[f"torch=={version('torch').split('+')[0]}"],  # no slow inference
                metadata=metadata,
            )
        copy.save(saved / MODEL_FILE)
        client.log_artifacts(run_id, str(saved), MODEL_ARTIFACT)
    uri = f"runs:/{run_id}/{MODEL_ARTIFACT}"
    if registered_name:
        _register(client, run_id, registered_name, metadata or {})
    return uri


def _register(client: Any, run_id: str, name: str, tags: dict[str, str]) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if "RESOURCE_ALREADY_EXISTS" not in str(error.error_code):
            raise
    source = f"{client.get_run(run_id).info.artifact_uri}/{MODEL_ARTIFACT}"
    return client.create_model_version(name, source, run_id=run_id, tags=tags)


def load_model(
    source: str | os.PathLike[str],
    tracking_uri: str | None = None,
    map_location: str | torch.device = "cpu",
) -> SavableModel:
    """The plain model behind ``source``: a run id, ``runs:/<id>[/path]``, ``models:/<name>/<v>``,
    a model file written by ``SavableModel.save`` or a Lightning checkpoint of a polymath run."""
    text = str(source)
    if Path(text).is_file():
        return _load_file(Path(text), map_location)
    if _RUN_ID.match(text):
        text = f"runs:/{text}/{MODEL_ARTIFACT}"
    if text.startswith(("runs:/", "models:/")):
        return _load_uri(text, tracking_uri, map_location)
    raise ModelFileError(
        f"cannot load a model from {text!r}: expected a run id, runs:/<id>, models:/<name>/<version>, "
        "a saved model file or a checkpoint"
    )


def _load_file(path: Path, map_location: str | torch.device) -> SavableModel:
    try:
        content = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as error:  # a truncated or foreign file: name it, not torch's internals
        raise ModelFileError(f"{path} cannot be read as a model or checkpoint: {error}") from None
    if isinstance(content, dict) and content.get("format") == MODEL_FORMAT:
        return model_from_checkpoint(content, source=str(path))
    if isinstance(content, dict) and CHECKPOINT_KEY in content:
        stored = content[CHECKPOINT_KEY]
        prefix = stored.get("prefix", "model.")
        weights = {
            key[len(prefix) :]: value
            for key, value in content["state_dict"].items()
            if key.startswith(prefix)
        }
        return model_from_checkpoint({**stored, "state_dict": weights}, source=str(path))
    raise ModelFileError(
        f"{path} holds no polymath model (neither a saved SavableModel nor a checkpoint with "
        "its model's arguments)"
    )


def _load_uri(uri: str, tracking_uri: str | None, map_location: str | torch.device) -> SavableModel:
    import mlflow
    from mlflow.exceptions import MlflowException

    from polymath.foundation.tracking import resolve_tracking_uri

    mlflow.set_tracking_uri(resolve_tracking_uri(tracking_uri))
    with tempfile.TemporaryDirectory() as scratch:
        try:  # the polymath model file first: one file, no pickle of the class
            saved = mlflow.artifacts.download_artifacts(
                f"{uri.rstrip('/')}/{MODEL_FILE}", dst_path=scratch
            )
            return _load_file(Path(saved), map_location)
        except (MlflowException, OSError):
            pass
        try:
            folder = Path(mlflow.artifacts.download_artifacts(uri, dst_path=scratch))
            loaded = mlflow.pytorch.load_model(str(folder), map_location=map_location)
        except (MlflowException, OSError) as error:
            message = " ".join(str(error).split())[:200]
            raise ModelFileError(f"cannot fetch the model {uri}: {message}") from None
    if not isinstance(loaded, SavableModel):
        raise ModelFileError(f"{uri} holds a {type(loaded).__name__}, not a SavableModel")
    return loaded


class _quiet:
    """Raises a library logger's level for a block (MLflow's notes about pickle and pip)."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)

    def __enter__(self) -> None:
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)
