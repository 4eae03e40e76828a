"""Changelog fragments (changes/NAME.TYPE.md) rendered by towncrier into CHANGELOG.md sections.

towncrier reads and validates the fragments (an unknown TYPE is an error) with the federation's
configuration in `towncrier/towncrier.toml`; meta places the rendered section above the newest
one, so each package's hand-written CHANGELOG header stays as it is.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from importlib.resources import as_file, files
from pathlib import Path

from .workspace import MetaError, Package

TYPES = ("breaking", "added", "changed", "deprecated", "removed", "fixed", "security", "doc")
IGNORED = {"README.md", ".gitkeep"}
CHANGES_README = """\
# Changes waiting for the next release

One file per change: `NAME.TYPE.md`, where TYPE is one of {types}.
The text is one bullet (or a list of bullets). `meta bump` turns the files into a section of
`CHANGELOG.md` (through towncrier) and deletes them; this README stays.
""".format(types=", ".join(f"`{t}`" for t in TYPES))


def fragment_paths(changes_dir: Path) -> list[Path]:
    """The pending fragments of a package (every file but the README), in name order."""
    if not changes_dir.is_dir():
        return []
    return sorted(p for p in changes_dir.iterdir() if p.is_file() and p.name not in IGNORED)


def towncrier(package: Package, *args: str) -> subprocess.CompletedProcess[str]:
    config = files("polymath_meta.towncrier").joinpath("towncrier.toml")
    with as_file(config) as config_path:
        command = [sys.executable, "-m", "towncrier", *args, "--config", str(config_path)]
        command += ["--dir", str(package.folder)]
        # towncrier check joins git's paths to the working directory: run it from the root.
        return subprocess.run(command, cwd=package.folder.parent, capture_output=True, text=True)


def towncrier_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    return (errors or lines or [f"exit {result.returncode}"])[-1].removeprefix("Error: ")


def render_section(package: Package, version: str, day: date | None = None) -> str:
    """The `## [version] - date` section the package's fragments make; MetaError if one is bad."""
    day = day or date.today()
    result = towncrier(package, "build", "--draft", "--version", version, "--date", day.isoformat())
    if result.returncode != 0:
        raise MetaError(f"{package.name}: changes/: {towncrier_error(result)}")
    return tidy(result.stdout)


def tidy(rendered: str) -> str:
    """One blank line around each heading, none inside the lists."""
    lines = [line for line in rendered.splitlines() if line.strip()]
    out: list[str] = []
    for line in lines:
        if line.startswith("#"):
            while out and not out[-1]:
                out.pop()
            out += ["", line, ""] if out else [line, ""]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def fragment_problems(package: Package) -> list[str]:
    """Fragments towncrier refuses (an unknown type, a bad name), one line each."""
    if not fragment_paths(package.changes_dir):
        return []
    result = towncrier(package, "build", "--draft", "--version", package.version or "0")
    if result.returncode != 0:
        return [f"{package.name}: changes/: {towncrier_error(result)}"]
    return []


def fragments_since(package: Package, base: str) -> list[str]:
    """`towncrier check`: a package changed since base must add a fragment."""
    result = towncrier(package, "check", "--compare-with", base)
    if result.returncode != 0:
        return [f"{package.name}: no fragment in changes/ for the changes since {base}"]
    return []


def consume(package: Package) -> int:
    """Delete the rendered fragments, keeping changes/ (with its README) in git."""
    paths = fragment_paths(package.changes_dir)
    for path in paths:
        path.unlink()
    readme = package.changes_dir / "README.md"
    if not readme.exists():
        readme.write_text(CHANGES_README, encoding="utf-8")
    return len(paths)


def section_pattern(version: str) -> re.Pattern[str]:
    return re.compile(rf"^##\s+\[?v?{re.escape(version)}\]?(\s|$)", re.MULTILINE)


def has_section(changelog: Path, version: str) -> bool:
    return changelog.is_file() and bool(
        section_pattern(version).search(changelog.read_text(encoding="utf-8"))
    )


def insert_section(changelog: Path, section: str) -> str:
    """The changelog text with section placed above the newest existing section."""
    text = changelog.read_text(encoding="utf-8") if changelog.is_file() else "# Changelog\n"
    match = re.search(r"^## ", text, re.MULTILINE)
    if match:
        return f"{text[: match.start()]}{section}\n{text[match.start() :]}"
    return f"{text.rstrip()}\n\n{section}"
