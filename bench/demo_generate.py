"""Benchmark of the demo generator against an earlier version of it, in the same process.

    python bench/demo_generate.py                       # 20,000 customers, against 5ea335d (before the split)
    python bench/demo_generate.py --customers 200000 --repeat 5 --against <commit>

The earlier ``marketsql/demo/generate.py`` (a self-contained module at that commit) is read with
``git show`` and imported under another name; both versions run alternately, best of ``--repeat``,
and their output files must be byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_version(commit: str, folder: Path):
    """The generator module as it was at ``commit`` (must not import other marketsql modules)."""
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:marketsql/demo/generate.py"],
                            check=True, capture_output=True, text=True).stdout
    path = folder / f"generate_{commit}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", default="5ea335d")
    args = parser.parse_args()

    from marketsql.demo.generate import generate_demo_data

    with tempfile.TemporaryDirectory() as tmp:
        old = load_version(args.against, Path(tmp))
        runs = {f"{args.against} (before)": old.generate_demo_data, "current": generate_demo_data}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for i in range(args.repeat):
            for name, generate in runs.items():
                out = Path(tmp) / f"{i}-{len(times[name])}-{name.split()[0]}"
                started = time.perf_counter()
                summary = generate(out, customers=args.customers, seed=args.seed)
                times[name].append(time.perf_counter() - started)
        outputs = [digests(Path(tmp) / f"0-0-{name.split()[0]}") for name in runs]
    print(f"demo generator, {args.customers:,} customers, seed {args.seed}: {summary['order_lines']:,} order "
          f"lines; best of {args.repeat}, alternating; load average {os.getloadavg()[0]:.2f} (1 min), "
          f"{os.cpu_count()} cpus")
    for name, seconds in times.items():
        print(f"  {name:<20} {min(seconds):7.3f} s   (runs: {', '.join(f'{s:.3f}' for s in seconds)})")
    before, after = (min(s) for s in times.values())
    print(f"  ratio current / before: {after / before:.3f}")
    print(f"  output files byte-identical: {outputs[0] == outputs[1]} ({len(outputs[0])} files)")


if __name__ == "__main__":
    main()
