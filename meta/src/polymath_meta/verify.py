"""`meta verify-wheels`: each wheel installs and runs on its own, in a fresh virtual environment.

The shared development environment hides undeclared dependencies; a venv holding only the
package's wheel, foundation's wheel and what their metadata asks for does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .build import built_wheel
from .workspace import MetaError, Package, Workspace

TORCH = os.environ.get("META_TORCH", "torch==2.13.0")


def clean_env(venv: Path, tmp: Path) -> dict[str, str]:
    """The caller's environment minus its Python settings, with a throwaway tracking store."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp / 'mlflow.db'}"
    return env


def step(command: list[str], cwd: Path, env: dict[str, str], what: str, log: Path) -> None:
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        result = subprocess.run(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        output = log.read_text(encoding="utf-8").rpartition(f"$ {' '.join(command)}\n")[2]
        tail = "\n".join(output.splitlines()[-15:])
        raise MetaError(f"{what} failed (exit {result.returncode}):\n{tail}")


def verify(workspace: Workspace, package: Package, dist: Path | None = None) -> float:
    """Install the wheel alone in a new venv, import it and run its smoke recipe; seconds taken."""
    start = time.perf_counter()
    wheels = [built_wheel(workspace, workspace.foundation, dist)]
    if not package.is_foundation:
        wheels.append(built_wheel(workspace, package, dist))
    with tempfile.TemporaryDirectory(prefix=f"meta-verify-{package.name}-") as tmp_name:
        tmp = Path(tmp_name)
        venv, log = tmp / "venv", tmp / "log.txt"
        env = clean_env(venv, tmp)
        python = str(venv / "bin" / "python")
        where = f"{package.name}: "
        step([sys.executable, "-m", "venv", str(venv)], tmp, env, f"{where}venv", log)
        pip = [python, "-m", "pip", "install", "--quiet"]
        step([*pip, TORCH], tmp, env, f"{where}pip install {TORCH}", log)
        step([*pip, *map(str, wheels)], tmp, env, f"{where}pip install of the wheels", log)
        module = f"polymath.{package.import_name}"
        step([python, "-c", f"import {module}"], tmp, env, f"{where}import {module}", log)
        polymath = str(venv / "bin" / "polymath")
        if package.is_foundation:
            step([polymath, "--help"], tmp, env, f"{where}polymath --help", log)
        else:
            command = [polymath, "run", package.name, "smoke"]
            step(command, tmp, env, f"{where}polymath run {package.name} smoke", log)
    return time.perf_counter() - start
