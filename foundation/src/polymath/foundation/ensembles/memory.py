"""Keeping freed memory for reuse, so that large CPU activations do not page-fault on every step.

glibc's malloc maps every block above its mmap threshold (at most 32 MB) fresh from the system and
returns it when freed, so each activation of a large batched ensemble (100 members x 1500 samples x
128 units is 77 MB) costs page faults on every step, which a loop over small members never pays.
``benchmarks/ensembles.py`` measures the effect. PyTorch's CPU tuning guide suggests jemalloc or
tcmalloc through ``LD_PRELOAD``; this is the same remedy from inside a running process.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4


def retain_freed_memory() -> bool:
    """Makes glibc serve every block from its heap and keep freed memory (process-wide).

    The equivalent of ``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=<huge>``. Memory the process frees
    is kept for its own reuse, not returned to the system before the process ends. Returns False
    (and changes nothing) where the C library is not glibc.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt") or not hasattr(libc, "gnu_get_libc_version"):
        return False
    return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
