"""Benchmark of the analytics views: association rules in SQL (sql/baskets/) against mlxtend.

    python bench/analytics.py                        # builds Online Retail into a temp database first
    python bench/analytics.py --database examples/online_retail/online_retail.duckdb   # reuse a build
    python bench/analytics.py --mlxtend-memory high  # mlxtend's default apriori (vectorised: ~42 s, ~10.7 GB)
    python bench/analytics.py --report-demo DIR      # report timing on a demo project already made

Baskets are the Online Retail invoices × StockCode of ``stg_order_lines`` (the view ``basket_lines``),
min_support 0.01 and min_confidence 0.25 (the defaults of ``basket_settings``). Each side runs in a
child process of its own (this script with ``--child``), so the peak RSS it reports is its own:

- SQL: the SELECTs of ``frequent_itemsets`` and ``association_rules`` (as in their files) run on the
  built database in DuckDB, best of 3;
- mlxtend: ``apriori`` + ``association_rules`` on the one-hot encoded baskets (read from the same
  database, encoded before the clock starts), rules with one consequent item kept, best of 3.

Both must find the same itemsets and rules.

Then ``marketsql report`` on the demo project (20,000 customers, made in a temp folder unless
``--report-demo`` names one): seconds per section and in all (best of 3, in a child process), beside
the seconds of rebuilding the same project in the same run. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import processes  # bench/processes.py (the script's folder is on sys.path)

REPO = Path(__file__).resolve().parents[1]
RETAIL_EXAMPLE = REPO / "examples" / "online_retail"
BASKETS = REPO / "sql" / "baskets"
MIN_SUPPORT = 0.01
MIN_CONFIDENCE = 0.25


def digest(rules: list[str]) -> str:
    """Order-free fingerprint of a list of rules written as 'a, b -> c'."""
    return hashlib.sha256("\n".join(sorted(rules)).encode()).hexdigest()[:16]


def select_of(name: str) -> str:
    """The SELECT of a basket view file, without its comment lines."""
    text = (BASKETS / f"{name}.sql").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


# --- what the children run ---------------------------------------------------------------------------

def child_build(project: str, database: str) -> dict:
    import marketsql

    result = marketsql.Project.load(project, database=database).build()
    return {"build_seconds": result.seconds}


def child_sql(database: str) -> dict:
    """frequent_itemsets then association_rules as plain SELECTs (the second reads the built table)."""
    import duckdb

    con = duckdb.connect(database, read_only=True)
    settings = con.execute("SELECT min_support, min_confidence FROM basket_settings").fetchall()[0]
    assert settings == (MIN_SUPPORT, MIN_CONFIDENCE), settings
    itemsets_sql, rules_sql = select_of("frequent_itemsets"), select_of("association_rules")
    best = {"itemsets_seconds": float("inf"), "rules_seconds": float("inf"), "seconds_inside": float("inf")}
    for _ in range(3):
        started = time.perf_counter()
        itemsets = con.execute(itemsets_sql).fetchall()
        middle = time.perf_counter()
        rules = con.execute(rules_sql).fetchall()
        ended = time.perf_counter()
        for key, value in (("itemsets_seconds", middle - started), ("rules_seconds", ended - middle),
                           ("seconds_inside", ended - started)):
            best[key] = min(best[key], value)
    baskets = con.execute("SELECT count(DISTINCT basket_id) FROM basket_lines").fetchall()[0][0]
    con.close()
    # rules: antecedent, antecedent_1..3, consequent, …
    written = [f"{r[0]} -> {r[4]}" for r in rules]
    return {**best, "baskets": baskets, "itemsets": len(itemsets), "rules": len(rules), "digest": digest(written)}


def child_mlxtend(database: str, low_memory: bool) -> dict:
    import duckdb
    import numpy as np
    import pandas as pd
    from mlxtend.frequent_patterns import apriori, association_rules

    con = duckdb.connect(database, read_only=True)
    lines = con.execute("SELECT basket_id, item FROM basket_lines").df()
    con.close()
    started = time.perf_counter()
    baskets, basket_ids = pd.factorize(lines["basket_id"])
    items, item_ids = pd.factorize(lines["item"])
    matrix = np.zeros((len(basket_ids), len(item_ids)), dtype=bool)  # baskets × items, True if bought
    matrix[baskets, items] = True
    # copy=False keeps df.values C-contiguous (row by row): mlxtend's low-memory apriori selects rows of
    # it and is ~13x slower on the column-major copy pandas makes by default (6 s instead of 0.45 s).
    onehot = pd.DataFrame(matrix, index=basket_ids, columns=item_ids, copy=False)
    assert onehot.values.flags["C_CONTIGUOUS"]
    encode_seconds = time.perf_counter() - started
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        itemsets = apriori(onehot, min_support=MIN_SUPPORT, use_colnames=True, low_memory=low_memory)
        rules = association_rules(itemsets, num_itemsets=len(onehot), metric="confidence",
                                  min_threshold=MIN_CONFIDENCE)
        rules = rules[rules["consequents"].map(len) == 1]  # one consequent item, as arules and the SQL
        best = min(best, time.perf_counter() - started)
    written = [f"{', '.join(sorted(r.antecedents))} -> {next(iter(r.consequents))}" for r in rules.itertuples()]
    return {"seconds_inside": best, "encode_seconds": encode_seconds, "baskets": len(onehot),
            "items": onehot.shape[1], "itemsets": len(itemsets), "rules": len(rules), "digest": digest(written)}


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


CHILDREN = {"build": child_build, "sql": child_sql, "mlxtend": child_mlxtend, "demo": child_demo,
            "report": child_report}


def child(name: str, **kwargs: object) -> dict:
    """Run CHILDREN[name](**kwargs) in a child process; see bench/processes.py."""
    return processes.child(__file__, name, **kwargs)


# --- the report ----------------------------------------------------------------------------------------

def association_rules_bench(database: Path, low_memory: bool) -> None:
    sql = child("sql", database=str(database))
    lib = child("mlxtend", database=str(database), low_memory=low_memory)
    print(f"Association rules on Online Retail: {sql['baskets']:,} baskets (invoices), {lib['items']:,} items,"
          f" min_support {MIN_SUPPORT}, min_confidence {MIN_CONFIDENCE}; best of 3 after imports and loading")
    print(f"  SQL views in DuckDB   {sql['seconds_inside']:7.3f} s (frequent_itemsets {sql['itemsets_seconds']:.3f}"
          f" + association_rules {sql['rules_seconds']:.3f})   peak RSS {sql['peak_rss_mb']:6.0f} MB"
          f"   {sql['itemsets']:,} itemsets, {sql['rules']:,} rules")
    print(f"  mlxtend apriori+rules {lib['seconds_inside']:7.3f} s (low_memory={low_memory};"
          f" one-hot encoding before it {lib['encode_seconds']:.3f} s)   peak RSS {lib['peak_rss_mb']:6.0f} MB"
          f"   {lib['itemsets']:,} itemsets, {lib['rules']:,} rules")
    print(f"  ratio mlxtend / SQL: {lib['seconds_inside'] / sql['seconds_inside']:.1f}x time,"
          f" {lib['peak_rss_mb'] / sql['peak_rss_mb']:.1f}x peak RSS"
          f" (whole child processes incl. start-up: {sql['seconds']:.1f} s vs {lib['seconds']:.1f} s)")
    same = (sql["itemsets"], sql["rules"], sql["digest"]) == (lib["itemsets"], lib["rules"], lib["digest"])
    print(f"  same itemsets and rules: {'yes' if same else 'NO'}"
          f" (rule fingerprints {sql['digest']} / {lib['digest']})")
    if not same:
        raise SystemExit("the SQL views and mlxtend disagree")


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
    parser.add_argument("--report-demo", help="a demo project already made (default: make one, 20,000 customers)")
    parser.add_argument("--skip-rules", action="store_true", help="only the report timing")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        processes.run_child(CHILDREN, *args.child)
        return
    low_memory = args.mlxtend_memory == "low"
    if not args.skip_rules and args.database:
        association_rules_bench(Path(args.database).resolve(), low_memory)
    elif not args.skip_rules:
        with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
            database = Path(tmp) / "retail.duckdb"
            build = child("build", project=str(RETAIL_EXAMPLE), database=str(database))
            print(f"(built Online Retail in {build['seconds']:.1f} s, peak RSS {build['peak_rss_mb']:.0f} MB)")
            association_rules_bench(database, low_memory)
    if args.report_demo:
        report_bench(Path(args.report_demo).resolve())
        return
    with tempfile.TemporaryDirectory(prefix="marketsql-demo-") as tmp:
        made = child("demo", directory=str(Path(tmp) / "demo"))
        print(f"(made the demo project in {made['seconds']:.1f} s)")
        report_bench(Path(tmp) / "demo")


if __name__ == "__main__":
    main()
