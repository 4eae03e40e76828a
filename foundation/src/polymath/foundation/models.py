"""Plain torch models that remember how they were built, so they can be rebuilt without a trainer.

nanoGPT's checkpoints carry ``model_args`` for the same reason: a file of weights is only useful
with the arguments that shape them. A ``SavableModel`` records the keyword arguments its
constructor was called with; ``save`` writes them beside the weights, and ``load`` rebuilds the
model from the file alone.
"""

from __future__ import annotations

import functools
import inspect
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from polymath.foundation import contract
from polymath.foundation.config import ConfigError

MODEL_FORMAT = "polymath.model/1"


class ModelFileError(ValueError):
    """A file that is not a saved polymath model, or whose class cannot be imported."""


class SavableModel(nn.Module):
    """An ``nn.Module`` that records its constructor's arguments (``model_args``).

    Subclass it and write ``__init__`` as usual, with keyword-friendly arguments of plain types
    (numbers, strings, lists, dicts). The outermost constructor's arguments are the ones recorded.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def recording_init(self: SavableModel, *args: Any, **kw: Any) -> None:
            if "_model_args" not in self.__dict__:
                bound = signature.bind(self, *args, **kw)
                bound.apply_defaults()
                recorded = dict(bound.arguments)
                recorded.pop(next(iter(signature.parameters)))
                for name, parameter in signature.parameters.items():
                    if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                        recorded.update(recorded.pop(name, {}))
                    elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                        raise TypeError(f"{cls.__name__}: *args cannot be recorded; use keywords")
                self.__dict__["_model_args"] = recorded
            init(self, *args, **kw)

        cls.__init__ = recording_init  # type: ignore[method-assign]

    @property
    def model_args(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this model: ``type(self)(**model.model_args)``."""
        return dict(self.__dict__.get("_model_args", {}))

    @property
    def class_path(self) -> str:
        return f"{type(self).__module__}:{type(self).__qualname__}"

    def to_checkpoint(self) -> dict[str, Any]:
        """What ``save`` writes: format, class path, arguments and weights."""
        return {
            "format": MODEL_FORMAT,
            "class": self.class_path,
            "args": self.model_args,
            "state_dict": self.state_dict(),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the model atomically (temporary file, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
        )
        os.close(handle)
        try:
            torch.save(self.to_checkpoint(), temporary)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return path

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], map_location: str | torch.device = "cpu"
    ) -> SavableModel:
        """Rebuilds a model saved by ``save``; called on a subclass, the file must hold that class."""
        model = model_from_checkpoint(_read(path, map_location), source=str(path))
        if cls is not SavableModel and not isinstance(model, cls):
            raise ModelFileError(f"{path} holds a {model.class_path}, not a {cls.__qualname__}")
        return model


def model_from_checkpoint(checkpoint: dict[str, Any], source: str = "checkpoint") -> SavableModel:
    """Rebuilds the model described by a ``to_checkpoint`` dictionary."""
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{source} is not a saved polymath model (no {MODEL_FORMAT!r} format)")
    model_class = import_object(checkpoint["class"])
    if not (isinstance(model_class, type) and issubclass(model_class, SavableModel)):
        raise ModelFileError(f"{source}: {checkpoint['class']} is not a SavableModel")
    model = model_class(**checkpoint["args"])
    model.load_state_dict(checkpoint["state_dict"])
    return model


def import_object(path: str) -> Any:
    """The contract's importer, with its errors as ``ModelFileError`` (a model file names the class)."""
    try:
        return contract.import_object(path)
    except (ConfigError, ImportError) as error:
        raise ModelFileError(str(error)) from None


def _read(path: str | os.PathLike[str], map_location: str | torch.device) -> dict[str, Any]:
    if not Path(path).is_file():
        raise ModelFileError(f"no model file at {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except Exception as error:  # a truncated or foreign file: name it, not torch's internals
        raise ModelFileError(f"{path} cannot be read as a model file: {error}") from None
