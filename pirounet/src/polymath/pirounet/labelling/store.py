"""The labels CSV as the app writes it: every save is atomic and serialised, so labels are never lost.

A save takes an exclusive lock (``fcntl.flock`` on ``<csv>.lock``, shared by every process and
thread), reads the current file, writes it plus the new row to a temporary file in the same folder,
flushes it to disk and renames it over the CSV. A crash at any point leaves either the old file or
the new one, never half a file, and two saves at the same moment both land.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

HEADER = "start,space,time\n"
EFFORTS = {1: "low", 2: "medium", 3: "high", 4: "N/A"}


def check_effort(name: str, value: object) -> int:
    """An effort as the CSV stores it (1-3, or 4 = N/A); anything else is refused by name."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in EFFORTS:
        raise ValueError(f"{name} effort must be 1, 2, 3 or 4 (N/A), got {value!r}")
    return int(value)


class LabelStore:
    """Appends ``start, space, time`` rows to a CSV (created with a header when missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def append(self, start: int, space: object, time: object) -> str:
        """Saves one row and returns it as written. Refuses bad efforts and a missing folder."""
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError(f"start must be a frame index >= 0, got {start!r}")
        row = f"{start},{check_effort('Space', space)},{check_effort('Time', time)}\n"
        folder = self.path.parent
        if not folder.is_dir():
            raise ValueError(f"cannot save labels: folder {folder} does not exist")
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            old = self.path.read_text() if self.path.exists() else HEADER
            if old and not old.endswith("\n"):
                old += "\n"
            descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.")
            try:
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(old + row)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return row.strip()
