"""Changelog fragments (changes/*.md) and the CHANGELOG.md sections they become.

A fragment is one Markdown file per change. Its type comes from the file name
(`42.fixed.md`, `shard-retry.added.md`) or, failing that, from a first line `type: fixed`;
anything else is filed under "Changed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

SECTIONS = ("Breaking", "Added", "Changed", "Deprecated", "Removed", "Fixed", "Security", "Docs")
ALIASES = {
    "breaking": "Breaking",
    "added": "Added",
    "feature": "Added",
    "features": "Added",
    "changed": "Changed",
    "change": "Changed",
    "misc": "Changed",
    "deprecated": "Deprecated",
    "removed": "Removed",
    "removal": "Removed",
    "fixed": "Fixed",
    "fix": "Fixed",
    "bugfix": "Fixed",
    "security": "Security",
    "doc": "Docs",
    "docs": "Docs",
}
IGNORED = {"readme.md", "template.md"}
TYPE_LINE = re.compile(r"^\s*type:\s*(\w+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Fragment:
    path: Path
    section: str
    text: str


def read_fragment(path: Path) -> Fragment:
    text = path.read_text(encoding="utf-8").strip()
    parts = path.name.lower().split(".")
    section = ALIASES.get(parts[-2]) if len(parts) >= 3 else None
    first, _, rest = text.partition("\n")
    match = TYPE_LINE.match(first)
    if match:
        section = section or ALIASES.get(match.group(1).lower())
        text = rest.strip()
    return Fragment(path, section or "Changed", text)


def fragments(changes_dir: Path) -> list[Fragment]:
    """The pending fragments of a package, in file-name order."""
    if not changes_dir.is_dir():
        return []
    paths = sorted(p for p in changes_dir.glob("*.md") if p.name.lower() not in IGNORED)
    return [read_fragment(p) for p in paths]


def bullet(text: str) -> str:
    lines = text.splitlines() or [""]
    head = lines[0] if lines[0].startswith(("- ", "* ")) else f"- {lines[0]}"
    return "\n".join([head, *(f"  {line}" if line else "" for line in lines[1:])])


def render_section(version: str, items: list[Fragment], day: date | None = None) -> str:
    """A `## [version] - date` section grouping the fragments by type."""
    lines = [f"## [{version}] - {(day or date.today()).isoformat()}", ""]
    for section in SECTIONS:
        texts = [f.text for f in items if f.section == section and f.text]
        if texts:
            lines += [f"### {section}", "", *map(bullet, texts), ""]
    return "\n".join(lines)


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
