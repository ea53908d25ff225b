"""The association-rule miners that bench/analytics.py runs side by side, each in a child process of its own.

Every miner reads the same ``basket_lines`` (basket_id, item) of a DuckDB database, prepares its input
before the clock starts (one-hot matrix, list of transactions), then times finding the frequent
itemsets (≤ 4 items) and the rules with one consequent item at min_support / min_confidence:

- ``sql``: the SELECTs of ``sql/baskets/frequent_itemsets.sql`` and ``association_rules.sql`` in DuckDB
  (with the UDF ``basket_itemsets`` registered and ``memory_limit`` set);
- ``mlxtend``: ``apriori(low_memory=…)`` + ``association_rules`` on a dense boolean one-hot frame;
- ``pyfim``: Borgelt's C ``fpgrowth`` (``mode="o"``: rule support = support of the whole itemset);
- ``efficient_apriori``: the pure-Python ``apriori``.

A Python miner that runs out of memory (``--memory-cap``: a data-size limit on top of what the
interpreter, its libraries and its input already hold; the SQL side has DuckDB's ``memory_limit``
instead, as a data limit also counts what DuckDB's allocator maps ahead) or time reports that instead
of a result. Each returns counts and a digest of its rules, so the bench can check that all agree.
"""

from __future__ import annotations

import hashlib
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASKETS = REPO / "sql" / "baskets"


def digest(rules: list[str]) -> str:
    """Order-free fingerprint of a list of rules written as 'a, b -> c'."""
    return hashlib.sha256("\n".join(sorted(rules)).encode()).hexdigest()[:16]


def select_of(name: str) -> str:
    """The SELECT of a basket view file, without its comment lines."""
    text = (BASKETS / f"{name}.sql").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def run(script: str, name: str, timeout: float, **kwargs: object) -> dict:
    """Like processes.child, but a failure or a timeout is a result ({"failed": why}), not the end of the bench."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, script, "--child", name, json.dumps(kwargs)],
                              capture_output=True, text=True, cwd=REPO, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"no result within {timeout:.0f} s", "seconds": timeout}
    seconds = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"failed": last[:160], "seconds": seconds}
    return {"seconds": seconds, **json.loads(lines[-1])}


def cap_memory(megabytes: float | None) -> None:
    """Limit the process's data (heap and private writable mappings, RLIMIT_DATA) to what it holds now
    plus ``megabytes`` (None: no limit). Unlike an address-space limit it ignores the virtual memory
    that threads reserve and never touch."""
    if megabytes:
        data = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                    if line.startswith("VmData:")) * 1024
        limit = data + int(megabytes * 2**20)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def min_count(baskets: int, min_support: float) -> int:
    """The smallest basket count whose support count / baskets reaches min_support (float64, as the SQL)."""
    count = max(1, math.ceil(min_support * baskets))
    while count / baskets < min_support:
        count += 1
    while count > 1 and (count - 1) / baskets >= min_support:
        count -= 1
    return count


def transactions(database: str) -> list[tuple[str, ...]]:
    """The baskets as tuples of items (the input of pyfim and efficient-apriori)."""
    import duckdb

    con = duckdb.connect(database, read_only=True)
    try:
        return [tuple(r[0]) for r in con.execute("SELECT list(item) FROM basket_lines GROUP BY basket_id").fetchall()]
    finally:
        con.close()


# --- the miners (run in the child) ------------------------------------------------------------------

def sql(database: str, min_support: float, min_confidence: float, repeat: int = 3,
        memory_limit: str | None = None) -> dict:
    """frequent_itemsets then association_rules as plain SELECTs (the second reads the built table)."""
    import duckdb

    from marketsql.core.udfs import discover, register

    con = duckdb.connect(database, read_only=True)
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    register(con, [discover([REPO])["basket_itemsets"]])
    settings = con.execute("SELECT min_support, min_confidence FROM basket_settings").fetchall()[0]
    assert settings == (min_support, min_confidence), settings
    itemsets_sql, rules_sql = select_of("frequent_itemsets"), select_of("association_rules")
    best = {"itemsets_seconds": math.inf, "rules_seconds": math.inf, "seconds_inside": math.inf}
    for _ in range(repeat):
        started = time.perf_counter()
        itemsets = con.execute(itemsets_sql).fetchall()
        middle = time.perf_counter()
        rules = con.execute(rules_sql).fetchall()
        ended = time.perf_counter()
        for key, value in (("itemsets_seconds", middle - started), ("rules_seconds", ended - middle),
                           ("seconds_inside", ended - started)):
            best[key] = min(best[key], value)
    sizes = "SELECT count(DISTINCT basket_id), count(DISTINCT item) FROM basket_lines"
    baskets, items = con.execute(sizes).fetchall()[0]
    con.close()
    written = [f"{r[0]} -> {r[4]}" for r in rules]  # antecedent, antecedent_1..3, consequent, …
    return {**best, "baskets": baskets, "items": items, "itemsets": len(itemsets), "rules": len(rules),
            "digest": digest(written)}


def mlxtend(database: str, min_support: float, min_confidence: float, low_memory: bool = True,
            repeat: int = 3, memory_cap: float | None = None) -> dict:
    import duckdb
    import numpy as np
    import pandas as pd
    from mlxtend.frequent_patterns import apriori, association_rules

    con = duckdb.connect(database, read_only=True)
    lines = con.execute("SELECT basket_id, item FROM basket_lines").df()
    con.close()
    cap_memory(memory_cap)
    started = time.perf_counter()
    baskets, basket_ids = pd.factorize(lines["basket_id"])
    items, item_ids = pd.factorize(lines["item"])
    del lines
    matrix = np.zeros((len(basket_ids), len(item_ids)), dtype=bool)  # baskets × items, True if bought
    matrix[baskets, items] = True
    # copy=False keeps df.values C-contiguous (row by row): mlxtend's low-memory apriori selects rows of
    # it and is ~13x slower on the column-major copy pandas makes by default (6 s instead of 0.45 s).
    onehot = pd.DataFrame(matrix, index=basket_ids, columns=item_ids, copy=False)
    assert onehot.values.flags["C_CONTIGUOUS"]
    encode_seconds = time.perf_counter() - started
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        itemsets = apriori(onehot, min_support=min_support, use_colnames=True, low_memory=low_memory, max_len=4)
        rules = association_rules(itemsets, num_itemsets=len(onehot), metric="confidence",
                                  min_threshold=min_confidence)
        rules = rules[rules["consequents"].map(len) == 1]  # one consequent item, as arules and the SQL
        best = min(best, time.perf_counter() - started)
    written = [f"{', '.join(sorted(r.antecedents))} -> {next(iter(r.consequents))}" for r in rules.itertuples()]
    return {"seconds_inside": best, "encode_seconds": encode_seconds, "baskets": len(onehot),
            "items": onehot.shape[1], "onehot_mb": matrix.nbytes / 2**20, "itemsets": len(itemsets),
            "rules": len(rules), "digest": digest(written)}


def pyfim(database: str, min_support: float, min_confidence: float, repeat: int = 3,
          memory_cap: float | None = None) -> dict:
    import fim

    baskets = transactions(database)
    cap_memory(memory_cap)
    support = -min_count(len(baskets), min_support)  # negative: an absolute count, the same threshold exactly
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        itemsets = fim.fpgrowth(baskets, target="s", supp=support, zmin=1, zmax=4, report="a")
        rules = fim.fpgrowth(baskets, target="r", supp=support, conf=min_confidence * 100 - 1e-9, zmin=2, zmax=4,
                             report="a", mode="o")
        best = min(best, time.perf_counter() - started)
    written = [f"{', '.join(sorted(body))} -> {head}" for head, body, _ in rules]
    return {"seconds_inside": best, "baskets": len(baskets), "itemsets": len(itemsets), "rules": len(rules),
            "digest": digest(written)}


def efficient_apriori(database: str, min_support: float, min_confidence: float, repeat: int = 1,
                      memory_cap: float | None = None) -> dict:
    from efficient_apriori import apriori

    baskets = transactions(database)
    cap_memory(memory_cap)
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        itemsets, rules = apriori(baskets, min_support=min_support, min_confidence=min_confidence, max_length=4)
        rules = [r for r in rules if len(r.rhs) == 1]
        best = min(best, time.perf_counter() - started)
    written = [f"{', '.join(sorted(r.lhs))} -> {r.rhs[0]}" for r in rules]
    return {"seconds_inside": best, "baskets": len(baskets), "itemsets": sum(len(v) for v in itemsets.values()),
            "rules": len(rules), "digest": digest(written)}


def demo_baskets(demo: str, database: str) -> dict:
    """A database whose basket_lines are the demo's orders × products (quantity > 0), with basket_settings
    and frequent_itemsets (a table, as the build makes it: association_rules reads it)."""
    import duckdb

    from marketsql.core.udfs import discover, register

    con = duckdb.connect(database)
    register(con, [discover([REPO])["basket_itemsets"]])
    parts = str(Path(demo) / "order_lines" / "*.parquet").replace("'", "''")
    con.execute("CREATE TABLE basket_lines AS SELECT DISTINCT order_id AS basket_id, product_id AS item"
                f" FROM read_parquet('{parts}') WHERE quantity > 0")
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.settings (key VARCHAR, value VARCHAR)")
    con.execute(f"CREATE VIEW basket_settings AS {select_of('basket_settings')}")
    con.execute(f"CREATE TABLE frequent_itemsets AS {select_of('frequent_itemsets')}")
    lines, baskets = con.execute("SELECT count(*), count(DISTINCT basket_id) FROM basket_lines").fetchall()[0]
    con.close()
    return {"lines": lines, "baskets": baskets}


MINERS = {"sql": sql, "mlxtend": mlxtend, "pyfim": pyfim, "efficient_apriori": efficient_apriori,
          "demo_baskets": demo_baskets}
