"""`meta verify-wheels`: each wheel installs and runs on its own, in a fresh virtual environment."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from . import envs
from .build import built_wheel
from .workspace import Package, Workspace


def verify(workspace: Workspace, package: Package, dist: Path | None = None) -> float:
    """Install the wheel alone in a new venv, import it and run its smoke recipe; seconds taken."""
    start = time.perf_counter()
    wheels = [built_wheel(workspace, workspace.foundation, dist)]
    if not package.is_foundation:
        wheels.append(built_wheel(workspace, package, dist))
    with tempfile.TemporaryDirectory(prefix=f"meta-verify-{package.name}-") as tmp:
        venv = envs.create(Path(tmp))
        venv.install(wheels)
        module = f"polymath.{package.import_name}"
        where = f"{package.name}: "
        venv.run([venv.python, "-c", f"import {module}"], f"{where}import {module}")
        polymath = str(venv.path / "bin" / "polymath")
        if package.is_foundation:
            venv.run([polymath, "--help"], f"{where}polymath --help")
        else:
            venv.run([polymath, "run", package.name, "smoke"], f"{where}polymath run smoke")
    return time.perf_counter() - start
