"""Benchmark of the analytics views: association rules (sql/baskets/) against mlxtend, pyfim, efficient-apriori.

    python bench/analytics.py --skip-report          # Online Retail, then the demo's baskets at 10x and 100x
    python bench/analytics.py --database examples/online_retail/online_retail.duckdb   # reuse a build
    python bench/analytics.py --scales 10 --memory-cap 2048   # the other miners limited to 2 GB more
    python bench/analytics.py --mlxtend-memory high  # mlxtend's default apriori (vectorised: ~42 s, ~10.7 GB)
    python bench/analytics.py --report-demo DIR      # report timing on a demo project already made

Baskets: the Online Retail invoices × StockCode of ``stg_order_lines`` (the view ``basket_lines``), then
the demo generator's orders × products (quantity > 0) at 10x and 100x its default 20,000 customers
(``basket_lines`` materialised from the generated parquet); min_support 0.01 and min_confidence 0.25
(the defaults of ``basket_settings``), itemsets of up to 4 items, rules with one consequent item.
Every miner runs in a child process of its own (this script with ``--child``; see
bench/basket_tools.py), so the peak RSS it reports is its own; its input (one-hot matrix, transaction
list) is made before the clock starts, the SQL side reads ``basket_lines`` inside its time. All that
finish must find the same itemsets and rules.

Then ``marketsql report`` on the demo project (20,000 customers, made in a temp folder unless
``--report-demo`` names one): seconds per section and in all (best of 3, in a child process), beside
the seconds of rebuilding the same project in the same run. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import basket_tools  # bench/basket_tools.py: the miners (the script's folder is on sys.path)
import processes  # bench/processes.py

REPO = Path(__file__).resolve().parents[1]
RETAIL_EXAMPLE = REPO / "examples" / "online_retail"
MIN_SUPPORT = 0.01
MIN_CONFIDENCE = 0.25
DEMO_CUSTOMERS = 20_000  # the demo's default size: scale N generates N × this many customers


# --- what the children run ---------------------------------------------------------------------------

def child_build(project: str, database: str) -> dict:
    import marketsql

    result = marketsql.Project.load(project, database=database).build()
    return {"build_seconds": result.seconds}


def child_generate(directory: str, customers: int) -> dict:
    from marketsql.demo.generate import generate_demo_data

    made = generate_demo_data(directory, customers=customers)
    return {"order_lines": made["order_lines"], "generate_seconds": made["seconds"]}


def child_demo(directory: str) -> dict:
    from marketsql.demo.project import run_demo

    return {"demo_seconds": run_demo(directory).seconds}


def child_report(directory: str, output: str) -> dict:
    import marketsql

    project = marketsql.Project.load(directory)
    runs = [project.report(output) for _ in range(3)]
    best = min(runs, key=lambda r: r.seconds)
    rebuild = project.build()
    return {"report_seconds": best.seconds, "sections": best.section_seconds, "bytes": best.bytes,
            "missing": best.missing, "build_seconds": rebuild.seconds}


CHILDREN = {"build": child_build, "generate": child_generate, "demo": child_demo, "report": child_report,
            **basket_tools.MINERS}


def child(name: str, **kwargs: object) -> dict:
    """Run CHILDREN[name](**kwargs) in a child process; see bench/processes.py."""
    return processes.child(__file__, name, **kwargs)


# --- the report ----------------------------------------------------------------------------------------

def rules_table(label: str, database: Path, *, repeat: int, memory_limit: str, memory_cap: float | None,
                low_memory: bool, timeout: float, skip: tuple[str, ...] = ()) -> None:
    """Every miner on the basket_lines of ``database``, side by side; all that finish must agree."""
    kw = {"database": str(database), "min_support": MIN_SUPPORT, "min_confidence": MIN_CONFIDENCE, "repeat": repeat}
    runs = {"sql": basket_tools.run(__file__, "sql", timeout, memory_limit=memory_limit, **kw)}
    runs["sql"]["load"] = os.getloadavg()[0]
    for name in ("mlxtend", "pyfim", "efficient_apriori"):
        extra: dict[str, object] = {"low_memory": low_memory} if name == "mlxtend" else {}
        if name == "efficient_apriori":  # pure Python, ~20x slower: once
            extra["repeat"] = 1
        runs[name] = ({"failed": "skipped (--skip)"} if name in skip else
                      basket_tools.run(__file__, name, timeout, memory_cap=memory_cap, **{**kw, **extra}))
        runs[name]["load"] = os.getloadavg()[0]
    sql = runs["sql"]
    if "failed" in sql:
        raise SystemExit(f"the SQL views failed on {label}: {sql['failed']}")
    print(f"Association rules on {label}: {sql['baskets']:,} baskets, {sql['items']:,} items, min_support"
          f" {MIN_SUPPORT}, min_confidence {MIN_CONFIDENCE}; best of {repeat} (efficient-apriori: 1) after loading;"
          " load = 1-minute load average after each")
    names = {"sql": f"SQL views (memory_limit {memory_limit})", "mlxtend": f"mlxtend apriori low_memory={low_memory}",
             "pyfim": "pyfim fpgrowth (C)", "efficient_apriori": "efficient-apriori"}
    for name, run in runs.items():
        if "failed" in run:
            print(f"  {names[name]:34s} failed after {run['seconds']:.0f} s: {run['failed']}")
            continue
        note = ""
        if name == "sql":
            note = f" (frequent_itemsets {run['itemsets_seconds']:.3f} + association_rules {run['rules_seconds']:.3f})"
        elif name == "mlxtend":
            note = f" (one-hot {run['onehot_mb']:,.0f} MB made before it in {run['encode_seconds']:.2f} s)"
        ratio = run["seconds_inside"] / sql["seconds_inside"]
        print(f"  {names[name]:34s} {run['seconds_inside']:8.3f} s  {ratio:5.1f}x SQL   peak RSS"
              f" {run['peak_rss_mb']:7,.0f} MB   load {run['load']:.1f}   {run['itemsets']:,} itemsets,"
              f" {run['rules']:,} rules{note}")
    done = {name: (r["itemsets"], r["rules"], r["digest"]) for name, r in runs.items() if "failed" not in r}
    same = len(set(done.values())) == 1
    print(f"  same itemsets and rules: {'yes' if same else 'NO'} ({', '.join(f'{n} {d[2]}' for n, d in done.items())})")
    if not same:
        raise SystemExit("the miners disagree")


def demo_scale(scale: int, args: argparse.Namespace, tmp: Path) -> None:
    """The demo generator at ``scale`` × its default customers; its baskets through every miner."""
    demo = Path(args.demo_dir) / f"demo{scale}" if args.demo_dir else tmp / f"demo{scale}"
    database = tmp / f"demo{scale}.duckdb"
    if not (demo / "order_lines").is_dir():  # --demo-dir keeps what it made for the next run
        made = child("generate", directory=str(demo), customers=DEMO_CUSTOMERS * scale)
        print(f"(generated the demo {scale}x in {made['seconds']:.0f} s)")
    lines = child("demo_baskets", demo=str(demo), database=str(database))
    print(f"(demo {scale}x: {DEMO_CUSTOMERS * scale:,} customers, {lines['lines']:,} basket lines)")
    rules_table(f"the demo {scale}x", database, repeat=1 if scale >= 100 else 3, memory_limit=args.memory_limit,
                memory_cap=args.memory_cap, low_memory=args.mlxtend_memory == "low", timeout=args.timeout,
                skip=tuple(args.skip.split(",")) if args.skip else ())


def report_bench(directory: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="marketsql-report-") as tmp:
        run = child("report", directory=str(directory), output=str(Path(tmp) / "report.html"))
    parts = ", ".join(f"{title} {seconds:.2f}" for title, seconds in run["sections"].items())
    print(f"marketsql report on the demo ({directory}): {run['report_seconds']:.2f} s best of 3"
          f" ({run['bytes'] / 1e6:.1f} MB file; sections: {parts}; the rest is rendering and writing)")
    print(f"  rebuilding the same project: {run['build_seconds']:.2f} s → the report costs"
          f" {run['report_seconds'] / run['build_seconds']:.0%} of a build; peak RSS {run['peak_rss_mb']:.0f} MB"
          + (f"; incomplete sections: {', '.join(run['missing'])}" if run["missing"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", help="an Online Retail database already built (default: build one)")
    parser.add_argument("--mlxtend-memory", choices=("low", "high"), default="low",
                        help="mlxtend apriori low_memory=True (default) or its vectorised default")
    parser.add_argument("--scales", default="10,100", help="demo sizes for the rules, × 20,000 customers ('' for none)")
    parser.add_argument("--demo-dir", help="where to make (or find) the demo data of each scale (default: temp)")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory_limit of the SQL side (default 2GB)")
    parser.add_argument("--memory-cap", type=float, default=None,
                        help="MB of data each Python miner may add to its input (RLIMIT_DATA; default none)")
    parser.add_argument("--skip", default="", help="miners to leave out, e.g. efficient_apriori")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a miner may take per size (default 900)")
    parser.add_argument("--report-demo", help="a demo project already made (default: make one, 20,000 customers)")
    parser.add_argument("--skip-rules", action="store_true", help="only the report timing")
    parser.add_argument("--skip-report", action="store_true", help="only the association rules")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        processes.run_child(CHILDREN, *args.child)
        return
    retail = dict(repeat=7, memory_limit=args.memory_limit, memory_cap=args.memory_cap,
                  low_memory=args.mlxtend_memory == "low", timeout=args.timeout)
    if not args.skip_rules:
        with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
            database = Path(args.database).resolve() if args.database else Path(tmp) / "retail.duckdb"
            if not args.database:
                build = child("build", project=str(RETAIL_EXAMPLE), database=str(database))
                print(f"(built Online Retail in {build['seconds']:.1f} s, peak RSS {build['peak_rss_mb']:.0f} MB)")
            rules_table("Online Retail (invoices)", database, **retail)  # type: ignore[arg-type]
            for scale in (int(s) for s in args.scales.split(",") if s.strip()):
                demo_scale(scale, args, Path(tmp))
    if args.skip_report:
        return
    if args.report_demo:
        report_bench(Path(args.report_demo).resolve())
        return
    with tempfile.TemporaryDirectory(prefix="marketsql-demo-") as tmp:
        made = child("demo", directory=str(Path(tmp) / "demo"))
        print(f"(made the demo project in {made['seconds']:.1f} s)")
        report_bench(Path(tmp) / "demo")


if __name__ == "__main__":
    main()
