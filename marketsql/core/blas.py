"""One BLAS thread for the calling thread while a UDF runs.

DuckDB calls an Arrow UDF once per ~2,048-row vector from each of its worker threads; a matrix product
inside it (the recommender's ``U @ V.T``, a propensity network) would otherwise start OpenBLAS's own
thread pool on every call, and those threads fight DuckDB's for the same cores: ``recommend()`` over
20,000 customers ran ~3x slower that way (bench/recommend.py). OpenBLAS ≥ 0.3.27 has a thread-local
setting (``openblas_set_num_threads_local``), so limiting it affects only the thread that runs the
UDF, and the previous value is put back after the call. Without OpenBLAS (MKL, Accelerate …) this does
nothing.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _set_local() -> Callable[[int], int] | None:
    """numpy's OpenBLAS ``openblas_set_num_threads_local`` (returns the previous value), or None."""
    try:
        import numpy  # noqa: F401 (loads the BLAS that threadpoolctl looks for)
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - both come with scikit-learn, a dependency
        return None
    for controller in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        setter = getattr(controller.dynlib, "openblas_set_num_threads_local", None)
        if setter is not None:
            setter.argtypes = [ctypes.c_int]
            setter.restype = ctypes.c_int
            return setter  # type: ignore[no-any-return]
    return None


def blas_threads_setter() -> Callable[[int], int] | None:
    """The thread-local BLAS thread-count setter (``setter(n)`` returns the previous count), or None when the
    BLAS has none; looked up once per process."""
    return _set_local()
