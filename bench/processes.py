"""Running one benchmark measurement in a child process of its own, so its peak RSS is its own.

A bench script calls itself with ``--child NAME JSON``; the child runs ``children[NAME](**JSON)``
and prints the result, with its peak RSS, as the last line of JSON.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child(script: str, name: str, **kwargs: object) -> dict:
    """Run measurement ``name`` of ``script`` in a fresh interpreter; add wall seconds and its peak RSS."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, script, "--child", name, json.dumps(kwargs)],
                          capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    return {"seconds": seconds, **json.loads(done.stdout.strip().splitlines()[-1])}


def alternating(script: str, name: str, repeat: int, by: str, **kwargs: object) -> tuple[dict, dict]:
    """``repeat`` runs of child ``name`` with ``full=True`` and ``full=False``, alternating (so the machine's load
    falls on both alike): the best of each by ``by`` (seconds), with the largest peak RSS of that way's runs.
    Returns (full, not full)."""
    runs: dict[bool, list[dict]] = {True: [], False: []}
    for _ in range(repeat):
        for full in (True, False):
            runs[full].append(child(script, name, full=full, **kwargs))
    best = {full: dict(min(found, key=lambda r: r[by]), peak_rss_mb=max(r["peak_rss_mb"] for r in found))
            for full, found in runs.items()}
    return best[True], best[False]


def run_child(children: dict[str, Callable[..., dict]], name: str, kwargs: str) -> None:
    """The child's side: run the measurement and print its result with the peak RSS."""
    result = children[name](**json.loads(kwargs))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
