"""``marketsql demo``: generate the demo retailer into a project and build the standard pipeline."""

from __future__ import annotations

import json
from pathlib import Path

from .build import BuildResult, Progress
from .config import find_config
from .errors import ConfigError
from .project import Project, init

DATA_DIR = Path("data") / "demo"


def run_demo(
    directory: str | Path = ".",
    customers: int = 20_000,
    seed: int = 7,
    progress: Progress | None = None,
) -> BuildResult:
    """Make ``directory`` a project if it is new or empty, (re)generate its demo data, build it.

    Data already generated with the same customers and seed is reused.
    """
    from .demo import generate_demo_data

    say = progress or (lambda message: None)
    root = Path(directory).resolve()
    if find_config(root) is None:
        if root.exists() and any(root.iterdir()):
            raise ConfigError(
                f"{root} is neither a marketsql project nor empty — run `marketsql demo NEW_FOLDER` instead"
            )
        say(f"creating project {root}")
        init(root)
    if customers < 1:
        raise ConfigError(f"--customers {customers}: give at least 1 customer")
    data = root / DATA_DIR
    if not _already_generated(data, customers, seed):
        say(f"generating {customers:,} demo customers (seed {seed})")
        generate_demo_data(data, customers=customers, seed=seed)
    return Project.load(root).build(progress)


def summary(project: Project) -> list[str]:
    """A few lines about the built demo business: period, customers, revenue, best categories."""
    con = project.connect(read_only=True)
    try:
        first, last, customers, orders, revenue = con.execute(
            "SELECT CAST(min(order_ts) AS DATE), CAST(max(order_ts) AS DATE), count(DISTINCT customer_id),"
            " count(DISTINCT order_id), sum(revenue) FROM stg_order_lines"
        ).fetchall()[0]
        categories = con.execute(
            "SELECT category, sum(revenue) / ? FROM monthly_sales_category GROUP BY 1 ORDER BY 2 DESC LIMIT 3",
            [revenue],
        ).fetchall()
    finally:
        con.close()
    shares = ", ".join(f"{name} {share:.0%}" for name, share in categories)
    return [
        f"{first} … {last}: {customers:,} buying customers, {orders:,} orders, revenue {revenue:,.0f}",
        f"revenue by category: {shares}",
    ]


def _already_generated(data: Path, customers: int, seed: int) -> bool:
    truth = data / "truth" / "truth.json"
    if not truth.is_file():
        return False
    arguments = json.loads(truth.read_text(encoding="utf-8")).get("arguments", {})
    return arguments.get("seed", seed) == seed and arguments.get("customers") == customers
