"""How long `marketsql --help` takes to start, against a bare `python -c pass`, in the same run.

Best of 5 subprocess runs each, with the machine's load before and after (the machine is shared). The
target is under 0.5 s for `marketsql --help`; the ratio to a bare interpreter shows what the CLI's own
imports cost. Run from the repository root: ``python bench/cli_start.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from timing import best  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
HELP = [sys.executable, "-c", "from marketsql.cli import main; main()", "--help"]
BARE = [sys.executable, "-c", "pass"]


def _run(argv: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env, cwd=REPO)


def main() -> None:
    """Print the best of 5 for each command, the difference and the ratio, and the load."""
    load_before = os.getloadavg()
    bare = best(lambda: _run(BARE), repeat=5)
    help_ = best(lambda: _run(HELP), repeat=5)
    load_after = os.getloadavg()
    print(f"python -c pass      best of 5: {bare:.3f} s")
    print(f"marketsql --help    best of 5: {help_:.3f} s  (+{help_ - bare:.3f} s, {help_ / bare:.1f}x bare;"
          f" target < 0.5 s: {'met' if help_ < 0.5 else 'NOT met'})")
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (2 cores)")


if __name__ == "__main__":
    main()
