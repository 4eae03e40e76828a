"""`meta new NAME`: a package folder with the federation's anatomy, ready to fill in.

The files come from `template/` (string.Template placeholders: $name, $module, $Class, $summary,
$foundation_range, $dependencies); the result passes `meta check` as it stands.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

from packaging.version import Version

from . import changelog
from .versions import next_breaking
from .workspace import MetaError, Workspace

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# Shared with foundation (same ranges as foundation declares), so every package tests the same.
SHARED_DEPENDENCIES = ("torch", "lightning", "numpy", "matplotlib")


def placeholders(workspace: Workspace, name: str, summary: str) -> dict[str, str]:
    foundation = workspace.foundation
    version = Version(foundation.version)
    declared = {r.name: str(r) for r in foundation.requirements}
    return {
        "name": name,
        "module": name.replace("-", "_"),
        "Class": "".join(part.capitalize() for part in name.split("-")),
        "summary": summary,
        "foundation_range": f">={version},<{next_breaking(version)}",
        "dependencies": "".join(
            f'  "{declared[d]}",\n' for d in SHARED_DEPENDENCIES if d in declared
        ),
    }


def scaffold(workspace: Workspace, name: str, summary: str) -> Path:
    """Write NAME/ from the template; refuses a bad name or an existing folder."""
    if not NAME.match(name):
        raise MetaError(f"{name!r} is not a package name (lower case words joined by '-')")
    target = workspace.root / name
    if target.exists():
        raise MetaError(f"{target} already exists")
    values = placeholders(workspace, name, summary)
    template = files("polymath_meta").joinpath("template")
    with tempfile.TemporaryDirectory(dir=workspace.root, prefix=f".{name}-") as tmp:
        staging = Path(tmp) / name
        for source in walk(template):
            relative = source.relative_to(template).with_suffix("")
            path = staging / str(relative).replace("__module__", values["module"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(Template(source.read_text(encoding="utf-8")).substitute(values))
        (staging / "changes" / "README.md").write_text(changelog.CHANGES_README)
        shutil.move(staging, target)
    return target


def walk(folder: Traversable) -> Iterator[Traversable]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from walk(entry)
        elif entry.name.endswith(".tmpl"):
            yield entry
