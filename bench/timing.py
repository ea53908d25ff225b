"""Timing helpers shared by the bench scripts: the best (or median) of repeated runs in this process."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def best_and_result(run: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs, in seconds, and what the last run returned."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def best(run: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    return best_and_result(run, repeat)[0]


def median_seconds(run: Callable[[], Any], repeat: int) -> float:
    """The median of ``repeat`` runs, in seconds (for many short runs, where the best flatters)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
