"""The reference's file format: one JSON record per line."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from polymath.xval.data.tasks import RecordError


def write_jsonl(records: Iterable[dict], path: str | os.PathLike[str]) -> Path:
    """Writes one record per line, atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as stream:
            for record in records:
                stream.write(json.dumps(record, separators=(",", ":")) + "\n")
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict]:
    """Records of a JSON-lines file; a line that is not a JSON object names its line number."""
    for _, record in numbered_jsonl(path):
        yield record


def numbered_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict]]:
    """``(line number, record)`` of a JSON-lines file, skipping blank lines."""
    with open(path) as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise RecordError(f"{path}:{number}: not JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise RecordError(f"{path}:{number}: a {type(record).__name__}, not a JSON object")
            yield number, record
