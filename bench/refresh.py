"""Benchmark of the refresh after a training against the full rebuild it replaced (marketsql/refresh.py).

    python bench/refresh.py                           # the demo at 20,000 customers, `train segmentation`
    python bench/refresh.py --customers 5000 --repeat 1

The demo's data is generated and built once; then `train segmentation` runs in children of their own (so each
peak RSS is its own), alternating: the full rebuild (what train did before: every source read again, every view
made again — the project loaded with explicit settings, which still rebuilds in full) and the refresh. Best of
--repeat each, with the seconds of the rebuild (or refresh) step inside the training.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from processes import alternating, child, run_child  # bench/processes.py

SCRIPT = str(Path(__file__).resolve())


def prepare_child(root: str, customers: int) -> dict:
    import marketsql
    from marketsql.demo.generate import generate_demo_data

    project = marketsql.init(root)
    generate_demo_data(project.root / "data" / "demo", customers=customers, seed=7)
    started = time.perf_counter()
    result = project.build()
    return {"build_seconds": time.perf_counter() - started, "objects": len(result.objects)}


def train_child(root: str, kind: str, full: bool) -> dict:
    """``train kind`` with the refresh, or (``full``) with the full rebuild from the sources."""
    import marketsql
    from marketsql.core.config import load_config

    project = marketsql.Project(load_config(root), overridden=full)  # overridden: the sources are read again
    rebuilds: list[float] = []
    real = project._rebuild

    def timed(*args: object, **kwargs: object) -> object:  # the rebuild (or refresh) inside train, timed
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            rebuilds.append(time.perf_counter() - started)

    project._rebuild = timed  # type: ignore[method-assign,assignment]
    started = time.perf_counter()
    trained = project.train(kind)
    seconds = time.perf_counter() - started
    assert trained.build is not None
    assert (trained.build.recreated is None) == full, trained.build.notes
    return {"seconds": seconds, "rebuild_seconds": rebuilds[0], "recreated": len(trained.build.recreated or ()),
            "objects": len(trained.build.objects)}


def line(label: str, full: dict, refresh: dict) -> str:
    """`label: full X s (rebuild Y s), RSS; refresh X s (Y s), RSS; ratio`."""
    def part(run: dict) -> str:
        return (f"train {run['seconds']:.1f} s of which {run['rebuild_seconds']:.1f} s after the training,"
                f" peak RSS {run['peak_rss_mb']:,.0f} MB")

    return (f"{label}:\n  full rebuild: {part(full)}\n  refresh:      {part(refresh)}; {refresh['recreated']} of"
            f" {refresh['objects']} objects made again\n  the rebuild step {full['rebuild_seconds']:.1f} s →"
            f" {refresh['rebuild_seconds']:.1f} s ({full['rebuild_seconds'] / refresh['rebuild_seconds']:.1f}x);"
            f" train {full['seconds'] / refresh['seconds']:.2f}x (load average {os.getloadavg()[0]:.2f} on"
            f" {os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--kind", default="segmentation")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child({"prepare": prepare_child, "train": train_child}, *args.child)
        return
    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
        root = str(Path(tmp) / "demo")
        built = child(SCRIPT, "prepare", root=root, customers=args.customers)
        print(f"demo, {args.customers:,} customers: build {built['build_seconds']:.1f} s ({built['objects']} objects),"
              f" load average {os.getloadavg()[0]:.2f}", flush=True)
        full, refresh = alternating(SCRIPT, "train", args.repeat, "seconds", root=root, kind=args.kind)
        print(line(f"train {args.kind}, best of {args.repeat}", full, refresh), flush=True)


if __name__ == "__main__":
    main()
