"""CPU time of a DataLoader's processes, for the streaming benchmarks (standard library only, so the
litdata side, run by another interpreter without foundation, imports it too)."""

from __future__ import annotations

import os
import time
from typing import Any


def cpu_seconds(loader: Any) -> float:
    """CPU time so far of this process and of the loader's persistent worker processes."""
    seconds = time.process_time()
    for worker in getattr(getattr(loader, "_iterator", None), "_workers", []):
        with open(f"/proc/{worker.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds
