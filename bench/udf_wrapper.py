"""Cost of the UDF guard (marketsql.core.udfs.guarded) on a cheap Arrow UDF over 10 M rows.

    python bench/udf_wrapper.py              # 10,000,000 rows, best of 5
    python bench/udf_wrapper.py --rows 1000000

The same function ``x + 1`` is registered twice in one connection, bare (``create_function``) and
through ``marketsql.core.udfs.register`` (checked for exceptions, length, NULLs and type on every call);
both are timed alternately, best of 5, and the ratio guarded / bare is printed, with the median of the
per-round ratios and the guard's own cost per call measured without DuckDB (steadier on a loaded machine).
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from duckdb.func import ARROW
from timing import best  # bench/timing.py (the script's folder is on sys.path)

from marketsql.core.udfs import Udf, guarded, register

VECTOR = 2048  # rows DuckDB passes to an Arrow UDF per call


def plus_one(x: pa.Array) -> pa.Array:
    """The cheap UDF: one Arrow kernel per 2,048-row vector."""
    return pc.add(x, 1)


def guard_cost(calls: int = 200_000) -> float:
    """Seconds the guard adds to one call, without DuckDB: guarded vs bare identity on one vector, best of 5."""
    vector = pa.array(range(VECTOR), pa.int64())
    checked = guarded(Udf("identity", _identity, ("BIGINT",), "BIGINT", "bench/udf_wrapper.py"))
    bare = best(lambda: [_identity(vector) for _ in range(calls)], repeat=5)
    wrapped = best(lambda: [checked(vector) for _ in range(calls)], repeat=5)
    return (wrapped - bare) / calls


def _identity(x: pa.Array) -> pa.Array:
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    con = duckdb.connect(":memory:")
    bigint = duckdb.sqltype("BIGINT")
    con.create_function("plus_bare", plus_one, [bigint], bigint, type=ARROW)
    register(con, [Udf("plus_guarded", plus_one, ("BIGINT",), "BIGINT", "bench/udf_wrapper.py")])
    times: dict[str, list[float]] = {"plus_bare": [], "plus_guarded": []}
    results = {}
    for round_ in range(args.repeat):
        for name in sorted(times, reverse=bool(round_ % 2)):  # alternate, so load on the machine hits both alike
            started = time.perf_counter()
            results[name] = con.execute(f"SELECT sum({name}(i)) FROM range({args.rows}) t(i)").fetchall()[0][0]
            times[name].append(time.perf_counter() - started)
    con.close()
    assert results["plus_bare"] == results["plus_guarded"] == args.rows * (args.rows + 1) // 2
    bare, guarded = min(times["plus_bare"]), min(times["plus_guarded"])
    print(f"{args.rows:,} rows, best of {args.repeat}: bare {bare:.3f} s ({args.rows / bare / 1e6:.1f} M rows/s), "
          f"guarded {guarded:.3f} s ({args.rows / guarded / 1e6:.1f} M rows/s), ratio {guarded / bare:.3f}")
    paired = statistics.median(g / b for g, b in zip(times["plus_guarded"], times["plus_bare"], strict=True))
    print(f"median of the {args.repeat} paired ratios (same round): {paired:.3f}")
    per_call = guard_cost()
    calls = -(-args.rows // VECTOR)
    print(f"guard alone: {per_call * 1e6:.2f} µs per {VECTOR:,}-row call × {calls:,} calls = "
          f"{per_call * calls * 1e3:.1f} ms, {per_call * calls / bare:.1%} of the bare query")


if __name__ == "__main__":
    main()
