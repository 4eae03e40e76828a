"""Where packages keep what they simulate once and reuse: one folder per package, outside the
working directory, so a run started anywhere finds it and a checkout stays clean."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "POLYMATH_CACHE"


def cache_root() -> Path:
    """``$POLYMATH_CACHE``, else ``$XDG_CACHE_HOME/polymath``, else ``~/.cache/polymath``."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "polymath"


def cache_dir(name: str) -> Path:
    """The folder for ``name`` (a package or data set) under :func:`cache_root`; not created here."""
    if not name or Path(name).name != name or name in (".", ".."):
        raise ValueError(f"a cache name is one folder name, got {name!r}")
    return cache_root() / name
