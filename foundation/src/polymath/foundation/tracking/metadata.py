"""What every run records besides its metrics: configuration, versions, git state, hardware."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Iterator, Mapping
from importlib.metadata import PackageNotFoundError, distributions, version
from pathlib import Path
from typing import Any

import torch
import yaml
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.utilities import rank_zero_only
from mlflow.entities import Param, RunTag
from mlflow.utils.validation import (
    MAX_PARAM_VAL_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH,
    MAX_TAG_VAL_LENGTH,
)

THIRD_PARTY_DISTRIBUTIONS = ("torch", "lightning", "torchmetrics", "mlflow")
CONFIG_ARTIFACT = "config.yaml"


def installed_versions() -> dict[str, str]:
    """Versions of every installed polymath-* distribution, of torch, Lightning and Python."""
    found: dict[str, str] = {}
    for dist in distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.startswith("polymath-"):
            found.setdefault(name, dist.version)
    versions = dict(sorted(found.items()))
    for name in THIRD_PARTY_DISTRIBUTIONS:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    versions["python"] = platform.python_version()
    return versions


@rank_zero_only
def log_run_metadata(logger: MLFlowLogger, config: Mapping, world_size: int = 1) -> None:
    """Record the resolved config (dotted params and config.yaml) and the run's environment.

    Tags: `version.<distribution>`, `git.commit`/`git.dirty` inside a git checkout, and
    `hardware.*`. Runs on rank zero only.
    """
    client, run_id = logger.experiment, logger.run_id
    plain = _plain(config)
    params = [Param(key, value[:MAX_PARAM_VAL_LENGTH]) for key, value in _flatten(plain)]
    for start in range(0, len(params), MAX_PARAMS_TAGS_PER_BATCH):
        client.log_batch(run_id, params=params[start : start + MAX_PARAMS_TAGS_PER_BATCH])
    client.log_text(run_id, yaml.safe_dump(plain, sort_keys=False), CONFIG_ARTIFACT)
    tags = {f"version.{name}": value for name, value in installed_versions().items()}
    tags |= git_state(Path.cwd())
    tags |= hardware(world_size)
    run_tags = [RunTag(key, str(value)[:MAX_TAG_VAL_LENGTH]) for key, value in tags.items()]
    for start in range(0, len(run_tags), MAX_PARAMS_TAGS_PER_BATCH):
        client.log_batch(run_id, tags=run_tags[start : start + MAX_PARAMS_TAGS_PER_BATCH])


def git_state(folder: Path) -> dict[str, str]:
    """Commit and dirty flag of the checkout holding `folder`; empty outside one or without git.

    Untracked files do not count as dirty: the run's own mlflow.db would otherwise always do.
    """
    try:
        commit = _git(folder, "rev-parse", "HEAD")
        changes = _git(folder, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return {}
    dirty = "true" if changes else "false"
    return {"git.commit": commit, "git.dirty": dirty, "mlflow.source.git.commit": commit}


def hardware(world_size: int = 1) -> dict[str, str]:
    """Device names and counts of this machine and the run's world size."""
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count())]
        accelerator = "cuda"
    else:
        names, accelerator = [_cpu_model()], "cpu"
    return {
        "hardware.accelerator": accelerator,
        "hardware.devices": ", ".join(names),
        "hardware.device_count": str(len(names)),
        "hardware.cpu": _cpu_model(),
        "hardware.cpu_count": str(os.cpu_count() or 1),
        "hardware.world_size": str(world_size),
    }


def _git(folder: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, timeout=10, check=True
    )
    return result.stdout.strip()


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def _plain(value: Any) -> Any:
    """Plain YAML data: mappings to dicts, sequences to lists, anything unknown to its str."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return str(value)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Dotted keys of nested mappings; lists stay whole values (`model.dims=[1, 2]`)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}{key}.")
    elif prefix:
        yield prefix[:-1], str(value)
