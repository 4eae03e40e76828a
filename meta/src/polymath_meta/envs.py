"""Fresh virtual environments that hold wheels and nothing else, and the test runs inside them.

The shared development environment hides undeclared dependencies and serves every package from
its source folder; a venv made here sees only what the wheels' metadata asks for. Each venv has pip,
as a user's would, but meta installs into it with its own pip (`--python`), so every venv shares
one pip and its cache. torch comes from META_TORCH (default `torch==2.13.0`, a local file on this
project's machines), everything else through pip's usual configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .workspace import MetaError, Package

TORCH = os.environ.get("META_TORCH", "torch==2.13.0")
TOP_LEVEL_NOT_COPIED = {"src", "dist", "build", ".venv"}  # the package's own code and builds
NOT_COPIED = ("__pycache__", "*.egg-info", "mlruns", "mlartifacts", "mlflow.db", ".pytest_cache")
NOT_COPIED += ("lightning_logs", "polymath_runs")


@dataclass(frozen=True)
class Venv:
    """A venv under folder/venv whose commands append to folder/log.txt."""

    folder: Path

    @property
    def path(self) -> Path:
        return self.folder / "venv"

    @property
    def log(self) -> Path:
        return self.folder / "log.txt"

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def env(self) -> dict[str, str]:
        """The caller's environment minus its Python settings, with a throwaway tracking store."""
        drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env["PATH"] = f"{self.path / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.path)
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{self.folder / 'mlflow.db'}"
        return env

    def run(self, command: Sequence[str], what: str, cwd: Path | None = None) -> str:
        """Run command, its output appended to the log; MetaError with the tail when it fails."""
        header = f"$ {' '.join(command)}\n"
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(header)
            handle.flush()
            result = subprocess.run(
                list(command),
                cwd=cwd or self.folder,
                env=self.env(),
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        output = self.log.read_text(encoding="utf-8").rpartition(header)[2]
        if result.returncode != 0:
            tail = "\n".join(output.splitlines()[-15:])
            raise MetaError(f"{what} failed (exit {result.returncode}):\n{tail}")
        return output

    def pip(self, *args: str, what: str) -> str:
        command = [sys.executable, "-m", "pip", "--python", self.python, *args]
        return self.run(command, what)

    def install(
        self,
        wheels: Iterable[Path],
        extras: dict[Path, str] | None = None,
        constraints: Path | None = None,
    ) -> None:
        """torch first when a wheel needs it (so pip takes the local build), then the wheels."""
        wheels = list(wheels)
        extras = extras or {}
        quiet = ["install", "--quiet", "--disable-pip-version-check"]
        pinned = ["--constraint", str(constraints)] if constraints else []
        if any(requires(wheel, "torch") for wheel in wheels):
            self.pip(*quiet, *pinned, TORCH, what=f"pip install {TORCH}")
        targets = [f"{w}[{extras[w]}]" if w in extras else str(w) for w in wheels]
        self.pip(*quiet, *pinned, *targets, what="pip install of the wheels")
        self.pip("check", what="pip check")

    def version_of(self, distribution: str) -> str:
        """The installed version, read from the venv's own metadata."""
        code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
        out = self.run([self.python, "-c", code], f"version of {distribution}")
        return out.strip().splitlines()[-1]

    def run_tests(self, package: Package) -> None:
        """The package's tests against what the venv holds: a copy of the folder without src/."""
        copy = self.folder / f"tests-{package.name}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(package.folder, copy, ignore=test_copy_filter(package.folder))
        command = [self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        self.run(command, f"{package.name}: tests", cwd=copy)


def test_copy_filter(top: Path) -> Callable[[str, list[str]], set[str]]:
    """shutil.copytree's ignore: build outputs anywhere, src/ only at the top (tests may hold
    example packages with a src/ of their own)."""
    patterns = shutil.ignore_patterns(*NOT_COPIED)

    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = set(patterns(folder, names))
        if Path(folder) == top:
            ignored |= TOP_LEVEL_NOT_COPIED & set(names)
        return ignored

    return ignore


def create(folder: Path) -> Venv:
    folder.mkdir(parents=True, exist_ok=True)
    venv = Venv(folder)
    venv.run([sys.executable, "-m", "venv", str(venv.path)], "venv")
    return venv


def requires(wheel: Path, distribution: str) -> bool:
    """Whether the wheel's metadata names distribution among its unconditional requirements."""
    wanted = canonicalize_name(distribution)
    for line in wheel_requirements(wheel):
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) == wanted and not requirement.marker:
            return True
    return False


def wheel_requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode("utf-8")
    return HeaderParser().parsestr(metadata).get_all("Requires-Dist") or []


def timed(start: float) -> str:
    return f"{time.perf_counter() - start:.0f} s"
