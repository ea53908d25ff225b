"""Where positioning's memory goes at catalogue scale: the resident memory (``/proc/self/statm``) sampled every
20 ms through one ``train positioning`` of a synthetic catalogue (bench/position_scale.py), peak per phase.

    python bench/position_memory.py --catalogue 100000 [--memory-limit 700MB]

The catalogue is built in a child process; the training runs in this one (so the sampler sees it): the phases
are the training (reading, fitting, registering, up to the rebuild's first step), then each step of the rebuild
as the build reports it (compiling the models happens before "loading source"). Only steps above --show MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

from position_scale import SCRIPT, synthetic_project  # bench/position_scale.py
from processes import child  # bench/processes.py


def resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--catalogue", type=int, default=100_000)
    parser.add_argument("--memory-limit", default="", help="the project's DuckDB memory_limit (default: none)")
    parser.add_argument("--show", type=float, default=650.0, help="print steps whose peak is above this many MB")
    args = parser.parse_args()
    import marketsql

    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
        root = synthetic_project(Path(tmp) / "c", args.catalogue, memory_limit=args.memory_limit)
        child(SCRIPT, "build", root=str(root))
        started = time.perf_counter()
        steps: list[tuple[float, str]] = [(0.0, "training: read, fit, register (until the rebuild reports)")]
        samples: list[tuple[float, float]] = []
        running = True

        def sample() -> None:
            while running:
                samples.append((time.perf_counter() - started, resident_mb()))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        trained = marketsql.Project.load(root).train(
            "positioning", progress=lambda message: steps.append((time.perf_counter() - started, message)))
        running = False
        sampler.join()
        steps.append((time.perf_counter() - started, "end"))
    print(f"{args.catalogue:,} products, memory_limit {args.memory_limit or 'none set'}, load average"
          f" {os.getloadavg()[0]:.2f}: train {steps[-1][0]:.1f} s (competitors"
          f" {trained.record.metrics['seconds']['competitors']:.1f} s), peak RSS"
          f" {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    for (at, step), (until, _) in zip(steps, steps[1:]):
        peak = max((mb for t, mb in samples if at <= t <= until), default=0.0)
        if peak >= args.show:
            print(f"  {at:6.1f}–{until:5.1f} s  peak {peak:6,.0f} MB  {step}")


if __name__ == "__main__":
    main()
