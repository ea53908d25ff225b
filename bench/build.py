"""Benchmark of the foundation: Online Retail ingest + build against pandas, and demo scaling.

    python bench/build.py                  # Online Retail, then the demo at 1x, 10x, 100x Online Retail's size
    python bench/build.py --scales 1,10    # skip the ~50 M-line run

Each measurement whose memory matters runs in a child process of its own (this script with
``--child``), so the peak RSS it reports is its own. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import processes  # bench/processes.py (the script's folder is on sys.path)

REPO = Path(__file__).resolve().parents[1]
RETAIL_CSV = REPO.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
RETAIL_EXAMPLE = REPO / "examples" / "online_retail"
RETAIL_LINES = 541_909
RETAIL_CUSTOMERS = 4_338
LINES_PER_DEMO_CUSTOMER = 10.6  # order lines the generator writes per customer (measured)

# RFM per customer (recency_days, frequency, monetary) with the cleaning rules of the pipeline.
RFM_SQL = """
WITH p AS (
  SELECT regexp_replace(CustomerID, '\\.0+$', '') AS customer_id, InvoiceNo AS order_id,
         CAST(InvoiceDate AS TIMESTAMP) AS ts, CAST(Quantity AS INTEGER) * CAST(UnitPrice AS DOUBLE) AS revenue
  FROM (SELECT DISTINCT * FROM {source})
  WHERE CustomerID IS NOT NULL AND NOT starts_with(InvoiceNo, 'C')
    AND CAST(Quantity AS INTEGER) > 0 AND CAST(UnitPrice AS DOUBLE) > 0
)
SELECT count(*) FROM (
  SELECT customer_id, date_diff('day', CAST(max(ts) AS DATE), (SELECT CAST(max(ts) AS DATE) + 1 FROM p)),
         count(DISTINCT order_id), sum(revenue)
  FROM p GROUP BY customer_id)
"""

FEATURES_SQL = """
SELECT count(*) FROM (
  SELECT customer_id, date_diff('day', CAST(max(order_ts) AS DATE), (SELECT analysis_date FROM analysis_date)),
         count(DISTINCT order_id), sum(revenue)
  FROM stg_order_lines GROUP BY customer_id)
"""


# --- what the children run ---------------------------------------------------------------------------

def child_build(project: str, database: str) -> dict:
    """marketsql build of a project into ``database``."""
    import marketsql

    result = marketsql.Project.load(project, database=database).build()
    return {"rows": sum(s.rows for s in result.sources),
            "ingest_seconds": sum(s.seconds for s in result.sources), "build_seconds": result.seconds}


def child_generate(out: str, customers: int) -> dict:
    """The demo generator."""
    from marketsql.demo.generate import generate_demo_data

    return {"rows": generate_demo_data(out, customers=customers, seed=7)["order_lines"]}


def child_side_by_side(csv: str, database: str) -> dict:
    """RFM four ways in one process, after imports, best of 3."""
    import duckdb
    import pandas as pd

    def pandas_rfm(df: pd.DataFrame) -> int:
        df = df.drop_duplicates()
        df = df[df["CustomerID"].notna() & ~df["InvoiceNo"].str.startswith("C")]
        df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0)].copy()
        df["CustomerID"] = df["CustomerID"].str.replace(r"\.0+$", "", regex=True)
        df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
        df["revenue"] = df["Quantity"] * df["UnitPrice"]
        asof = df["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
        rfm = df.groupby("CustomerID").agg(
            last=("InvoiceDate", "max"), frequency=("InvoiceNo", "nunique"), monetary=("revenue", "sum"))
        rfm["recency_days"] = (asof - rfm["last"].dt.normalize()).dt.days
        return len(rfm)

    def read() -> pd.DataFrame:
        return pd.read_csv(csv, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})

    loaded = read()
    memory = duckdb.connect()
    built = duckdb.connect(database, read_only=True)
    runs: dict[str, Callable[[], int]] = {
        "pandas_cold": lambda: pandas_rfm(read()),
        "duckdb_cold": lambda: memory.execute(
            RFM_SQL.format(source=f"read_csv('{csv}', all_varchar = true)")).fetchall()[0][0],
        "pandas_warm": lambda: pandas_rfm(loaded),
        "duckdb_warm": lambda: built.execute(
            RFM_SQL.format(source="(SELECT * EXCLUDE (_source_row) FROM raw.order_lines)")).fetchall()[0][0],
        "marketsql_features": lambda: built.execute(FEATURES_SQL).fetchall()[0][0],
    }
    result: dict = {"rows": RETAIL_CUSTOMERS}
    for name, run in runs.items():
        times = []
        for _ in range(3):
            started = time.perf_counter()
            customers = run()
            times.append(time.perf_counter() - started)
        assert customers == RETAIL_CUSTOMERS, (name, customers)
        result[name] = min(times)
    built.close()
    memory.close()
    return result


CHILDREN = {"build": child_build, "generate": child_generate, "side_by_side": child_side_by_side}


def child(name: str, **kwargs: object) -> dict:
    """Run CHILDREN[name](**kwargs) in a child process; see bench/processes.py."""
    return processes.child(__file__, name, **kwargs)


# --- the report ----------------------------------------------------------------------------------------

def line(label: str, m: dict, lines: int) -> None:
    print(f"  {label:<52} {m['seconds']:8.2f} s {m['peak_rss_mb']:7.0f} MB peak"
          f" {lines / m['seconds'] / 1e6:7.2f} M lines/s")


def online_retail(work: Path) -> None:
    print(f"Online Retail ({RETAIL_LINES:,} lines, gzipped CSV)")
    database = work / "retail.duckdb"
    build = child("build", project=str(RETAIL_EXAMPLE), database=str(database))
    line("marketsql build, own process: ingest + all views/tables", build, RETAIL_LINES)
    print(f"    inside: ingest {build['ingest_seconds']:.2f} s, whole build {build['build_seconds']:.2f} s"
          " (the rest is interpreter start, imports, SQL parsing)")
    m = child("side_by_side", csv=str(RETAIL_CSV), database=str(database))
    print(f"  RFM of {RETAIL_CUSTOMERS:,} customers, one process, after imports, best of 3"
          f" (peak RSS {m['peak_rss_mb']:.0f} MB):")
    print(f"    cold, from the CSV file:     pandas {m['pandas_cold']:.3f} s | DuckDB SQL {m['duckdb_cold']:.3f} s"
          f" | ratio {m['pandas_cold'] / m['duckdb_cold']:.1f}x")
    print(f"    warm, rows already loaded:   pandas {m['pandas_warm']:.3f} s | DuckDB SQL {m['duckdb_warm']:.3f} s"
          f" | ratio {m['pandas_warm'] / m['duckdb_warm']:.1f}x")
    print(f"    marketsql features from the built database (stg_order_lines): {m['marketsql_features']:.3f} s"
          f" | vs the notebook re-reading the CSV {m['pandas_cold'] / m['marketsql_features']:.1f}x"
          f" | vs pandas warm {m['pandas_warm'] / m['marketsql_features']:.1f}x")


def demo_scaling(work: Path, scales: list[float], memory_limit: str) -> None:
    from marketsql import init

    print("\nDemo retailer at multiples of Online Retail's size: generate, then build the standard pipeline"
          f" (DuckDB memory_limit {memory_limit})")
    base = None
    for scale in scales:
        customers = round(scale * RETAIL_LINES / LINES_PER_DEMO_CUSTOMER)
        root = work / f"demo_{scale:g}x"
        init(root)
        config = root / "marketsql.toml"  # cap DuckDB's memory so the 50 M-line build stays under 4 GB RSS
        config.write_text(config.read_text().replace('# memory_limit = "4GB"', f'memory_limit = "{memory_limit}"'))
        generated = child("generate", out=str(root / "data" / "demo"), customers=customers)
        lines = generated["rows"]
        build = child("build", project=str(root), database=str(root / "marketsql.duckdb"))
        size = (root / "marketsql.duckdb").stat().st_size / 1e9
        print(f" {scale:g}x: {customers:,} customers, {lines:,} order lines")
        line("generate (numpy -> Parquet)", generated, lines)
        line("build (ingest + all views/tables)", build, lines)
        per_million = build["seconds"] / (lines / 1e6)
        base = base or per_million
        print(f"    ingest {build['ingest_seconds']:.1f} s; database {size:.2f} GB;"
              f" build seconds per million lines {per_million:.2f} ({per_million / base:.2f}x the first run)")
        for leftover in [*root.rglob("*.parquet"), root / "marketsql.duckdb"]:
            leftover.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scales", default="1,10,100", help="demo sizes as multiples of Online Retail's lines")
    parser.add_argument("--skip-retail", action="store_true", help="only the demo scaling")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory_limit for the demo builds")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        processes.run_child(CHILDREN, *args.child)
        return
    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_retail:
            online_retail(work)
        scales = [float(s) for s in args.scales.split(",") if s]
        if scales:
            demo_scaling(work, scales, args.memory_limit)


if __name__ == "__main__":
    main()
