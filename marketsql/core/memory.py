"""Handing freed memory back to the system between the steps of one process (training, then the rebuild).

Python's objects go back to glibc's heap, Arrow's buffers (pandas' string columns read from DuckDB) to Arrow's
mimalloc pool; both keep the pages for reuse, so the process's resident memory stays at its high-water mark
and the rebuild that follows a training adds its own peak on top. Measured on 100 k products
(bench/position.py): ~100 MB held by Arrow's pool and ~130 MB by glibc's heap after the training frames were
freed.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys


def give_back() -> None:
    """Collect garbage, then return the free pages of glibc's heap and of Arrow's pool to the system."""
    gc.collect()
    if "pyarrow" in sys.modules:  # only when something used it: importing it costs ~100 MB
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)
