"""Benchmark of the foundation: ingest + build on Online Retail against pandas, and demo scaling.

    python bench/build.py                 # Online Retail, then the demo at 1x, 10x and 100x Online Retail
    python bench/build.py --scales 1,10   # skip the ~50 M-line run

Every measurement runs in a child process of its own so that its peak RSS is its own. Prints a
table and the ratios; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RETAIL_CSV = DATA / "online_retail" / "online_retail.csv.gz"
RETAIL_LINES = 541_909
LINES_PER_DEMO_CUSTOMER = 10.6  # measured: order lines written per generated customer

# The RFM features of customer_features, computed the notebook way.
PANDAS_RFM = """
import pandas as pd
df = pd.read_csv(CSV, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
df = df.drop_duplicates()
df = df[df["CustomerID"].notna() & ~df["InvoiceNo"].str.startswith("C")]
df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0)].copy()
df["CustomerID"] = df["CustomerID"].str.replace(r"\\.0+$", "", regex=True)
df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
df["revenue"] = df["Quantity"] * df["UnitPrice"]
asof = df["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
rfm = df.groupby("CustomerID").agg(last=("InvoiceDate", "max"), frequency=("InvoiceNo", "nunique"),
                                   monetary=("revenue", "sum"))
rfm["recency_days"] = (asof - rfm["last"].dt.normalize()).dt.days
ROWS = len(rfm)
"""

# The same RFM in DuckDB straight from the CSV, without the rest of the pipeline.
DUCKDB_RFM = """
import duckdb
con = duckdb.connect()
ROWS = con.execute('''
WITH l AS (
  SELECT DISTINCT * FROM read_csv(?, all_varchar = true)
), p AS (
  SELECT regexp_replace(CustomerID, '\\.0+$', '') AS customer_id, InvoiceNo AS order_id,
         CAST(InvoiceDate AS TIMESTAMP) AS ts, CAST(Quantity AS INTEGER) * CAST(UnitPrice AS DOUBLE) AS revenue
  FROM l
  WHERE CustomerID IS NOT NULL AND NOT starts_with(InvoiceNo, 'C')
    AND CAST(Quantity AS INTEGER) > 0 AND CAST(UnitPrice AS DOUBLE) > 0
)
SELECT count(*) FROM (
  SELECT customer_id, date_diff('day', CAST(max(ts) AS DATE), (SELECT CAST(max(ts) AS DATE) + 1 FROM p)),
         count(DISTINCT order_id), sum(revenue)
  FROM p GROUP BY customer_id)
''', [CSV]).fetchall()[0][0]
con.close()
"""

MARKETSQL_BUILD = """
import marketsql
project = marketsql.Project.load(EXAMPLE, database=DB, sources=SOURCES)
result = project.build()
ROWS = sum(s.rows for s in result.sources)
EXTRA = {"ingest_seconds": round(sum(s.seconds for s in result.sources), 3)}
"""

DEMO_GENERATE = """
from marketsql.demo import generate_demo_data
summary = generate_demo_data(OUT, customers=CUSTOMERS, seed=7)
ROWS = summary["order_lines"]
"""


def child(code: str, **names: object) -> dict:
    """Run ``code`` in a fresh interpreter; return its wall seconds, peak RSS and ROWS."""
    program = "\n".join(f"{k} = {v!r}" for k, v in names.items()) + "\nEXTRA = {}\n" + code + (
        "\nimport json, resource\n"
        "print('RESULT', json.dumps({'rows': ROWS, 'peak_rss_mb': "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **EXTRA}))\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return {"seconds": seconds, **json.loads(line.removeprefix("RESULT "))}


def row(label: str, m: dict, lines: int | None = None) -> None:
    rate = f"{(lines or m['rows']) / m['seconds'] / 1e6:8.2f} M lines/s" if lines else ""
    print(f"  {label:<48} {m['seconds']:8.2f} s  {m['peak_rss_mb']:8.0f} MB peak  {rate}")


def online_retail(work: Path) -> None:
    print(f"Online Retail ({RETAIL_LINES:,} lines, gzipped CSV) — each run in its own process")
    pandas = child(PANDAS_RFM, CSV=str(RETAIL_CSV))
    duck = child(DUCKDB_RFM, CSV=str(RETAIL_CSV))
    build = child(MARKETSQL_BUILD, EXAMPLE=str(REPO / "examples" / "online_retail"),
                  DB=str(work / "retail.duckdb"), SOURCES={})
    row("pandas: read CSV + clean + RFM (notebook way)", pandas, RETAIL_LINES)
    row("DuckDB SQL: read CSV + clean + the same RFM", duck, RETAIL_LINES)
    row("marketsql build: ingest + all 14 views/tables", build, RETAIL_LINES)
    print(f"    of which ingest (load into raw): {build['ingest_seconds']:.2f} s")
    print(f"  ratio pandas / DuckDB RFM:           {pandas['seconds'] / duck['seconds']:5.1f}x")
    print(f"  ratio pandas / whole marketsql build: {pandas['seconds'] / build['seconds']:5.1f}x")
    print("  (process times include interpreter start and imports: ~0.3 s for DuckDB, ~0.6 s for pandas)")


def demo_scaling(work: Path, scales: list[float]) -> None:
    print("\nDemo retailer at multiples of Online Retail's size (generate, then build the standard pipeline)")
    base = None
    for scale in scales:
        customers = int(round(scale * RETAIL_LINES / LINES_PER_DEMO_CUSTOMER))
        root = work / f"demo_{scale:g}x"
        subprocess.run([sys.executable, "-m", "marketsql.cli", "--help"], capture_output=True)
        from marketsql import init

        init(root)
        generated = child(DEMO_GENERATE, OUT=str(root / "data" / "demo"), CUSTOMERS=customers)
        build = child(MARKETSQL_BUILD, EXAMPLE=str(root), DB=str(root / "marketsql.duckdb"), SOURCES={})
        lines = generated["rows"]
        print(f" {scale:g}x: {customers:,} customers, {lines:,} order lines")
        row("generate (numpy → Parquet)", generated, lines)
        row("build (ingest + all views/tables)", build, lines)
        per_million = build["seconds"] / (lines / 1e6)
        base = base or per_million
        print(f"    build seconds per million lines: {per_million:.2f} ({per_million / base:.2f}x the smallest run)")
        for leftover in root.rglob("*.parquet"):
            leftover.unlink()
        (root / "marketsql.duckdb").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100", help="demo sizes as multiples of Online Retail's lines")
    parser.add_argument("--skip-retail", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_retail:
            online_retail(work)
        scales = [float(s) for s in args.scales.split(",") if s]
        if scales:
            demo_scaling(work, scales)
    print(f"\nmachine: {resource.getpagesize()} B pages; see /work/.library/env for cores and memory")


if __name__ == "__main__":
    main()
