"""The build's data checks: every raw row accounted for exactly once, and the staging contract kept.

``account`` checks a ``dq_<source>`` view against ``raw.<source>`` row by row (by ``_source_row``),
set-based in SQL so it stays fast at tens of millions of rows, and returns where the rows went.
``check_contracts`` checks the standard staging views: one row per key, no non-finite number.
Both raise ``SqlError`` naming the view's file, with the first offending values and how many.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import duckdb

from marketsql.errors import SqlError

from .manifest import QualityRow
from .sqltext import quote_ident
from .views import ViewFile

DISPOSITIONS = ("purchase", "return", "quarantine")
EXAMPLES = 5  # offending values named in a message

# One full outer join of the raw row numbers with the dq_ view's, grouped by what is wrong.
_ROWS_SQL = """
WITH dq AS (SELECT _source_row, count(*) AS copies FROM {dq} GROUP BY _source_row),
wrong AS (
    SELECT
        CASE
            WHEN r._source_row IS NULL THEN 'not_raw'
            WHEN dq.copies IS NULL THEN 'missing'
            ELSE 'repeated'
        END AS problem,
        coalesce(r._source_row, dq._source_row) AS source_row
    FROM {raw} AS r
    FULL JOIN dq ON dq._source_row = r._source_row
    WHERE r._source_row IS NULL OR dq.copies IS DISTINCT FROM 1
)
SELECT problem, count(*), min(source_row, {examples}), count(*) - count(source_row)
FROM wrong GROUP BY problem ORDER BY problem
"""


@dataclass(frozen=True)
class Contract:
    """What the build checks on one staging view: its key (unique, never NULL); every FLOAT or
    DOUBLE column must be finite (NULL is allowed). ``shown`` names the columns quoted in messages."""

    view: str
    key: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()


CONTRACTS = (
    Contract("stg_order_lines", shown=("order_id", "product_id")),
    Contract("stg_returns", shown=("order_id", "product_id")),
    Contract("stg_products", key=("product_id",)),
    Contract("stg_customers", key=("customer_id",)),
    Contract("stg_acquisitions", key=("customer_id",)),
    Contract("stg_marketing_spend", key=("date", "channel")),
    Contract("stg_product_attributes", key=("product_id", "attribute")),
)


def account(con: duckdb.DuckDBPyConnection, view: ViewFile, source: str) -> list[QualityRow]:
    """Check that ``view`` (``dq_<source>``) holds each row of ``raw.<source>`` exactly once, each with a
    known disposition and every quarantined row with a reason; return the rows per disposition and reason."""
    name = quote_ident(view.name)
    if "_source_row" not in _columns(con, name):
        raise SqlError(
            f"{view.label}: has no _source_row column — keep raw.{source}'s _source_row in the SELECT,"
            " so every row can be traced to its raw row"
        )
    _check_rows(con, view, source)
    try:
        counts = con.execute(f"SELECT disposition, reason, count(*) FROM {name} GROUP BY ALL ORDER BY ALL").fetchall()
    except duckdb.Error as exc:
        raise SqlError(
            f"{view.label}: a dq_ view needs columns disposition and reason ({str(exc).splitlines()[0]})"
        ) from exc
    found = [QualityRow(source, d, r, int(n)) for d, r, n in counts]
    odd = sorted({repr(q.disposition) for q in found if q.disposition not in DISPOSITIONS})
    if odd:
        raise SqlError(f"{view.label}: unknown disposition {odd[0]} — use one of {DISPOSITIONS}")
    if any(q.disposition == "quarantine" and q.reason is None for q in found):
        rows, examples = _examples(con, name, "disposition = 'quarantine' AND reason IS NULL", ("_source_row",))
        raise SqlError(
            f"{view.label}: {rows:,} quarantined row(s) without a reason ({examples}) — every quarantined row"
            " needs a reason: set the reason column for it"
        )
    return found


def _check_rows(con: duckdb.DuckDBPyConnection, view: ViewFile, source: str) -> None:
    raw = f"raw.{quote_ident(source)}"
    try:
        wrong = con.execute(_ROWS_SQL.format(dq=quote_ident(view.name), raw=raw, examples=EXAMPLES)).fetchall()
    except duckdb.Error as exc:
        raise SqlError(
            f"{view.label}: its _source_row cannot be matched with raw.{source}'s ({str(exc).splitlines()[0]})"
            f" — select _source_row from raw.{source} unchanged"
        ) from exc
    if not wrong:
        return
    shown_raw = f"raw.{source}"
    problems = {"missing": "missing", "repeated": "more than once", "not_raw": f"that are not rows of {shown_raw}"}
    parts = []
    for problem, rows, examples, nulls in wrong:
        shown = [str(e) for e in examples] + (["NULL"] if nulls and len(examples) < EXAMPLES else [])
        more = ", …" if rows > len(shown) else ""
        parts.append(f"{rows:,} row(s) {problems[problem]} (_source_row {', '.join(shown)}{more})")
    raise SqlError(
        f"{view.label}: does not hold every row of {shown_raw} exactly once: {'; '.join(parts)}"
        " — select each raw row once (purchase, return or quarantine), keeping its _source_row"
    )


def check_contracts(
    con: duckdb.DuckDBPyConnection, views: Mapping[str, ViewFile], built: Iterable[str]
) -> None:
    """Check the staging views of the standard contract that were built: keys unique and non-NULL,
    FLOAT/DOUBLE columns finite."""
    present = set(built)
    for contract in CONTRACTS:
        view = views.get(contract.view)
        if view is None or view.name not in present:
            continue
        name = quote_ident(view.name)
        columns = _columns(con, name)
        key = tuple(c for c in contract.key if c in columns)
        if key:
            _check_key(con, view, key)
        numbers = [c for c, type_name in columns.items() if type_name in ("DOUBLE", "FLOAT")]
        if numbers:
            _check_finite(con, view, numbers, key or tuple(c for c in contract.shown if c in columns))


def _check_key(con: duckdb.DuckDBPyConnection, view: ViewFile, key: Sequence[str]) -> None:
    columns = ", ".join(quote_ident(c) for c in key)
    nulls = " OR ".join(f"{quote_ident(c)} IS NULL" for c in key)
    positions = ", ".join(str(i) for i in range(1, len(key) + 1))
    wrong = con.execute(
        f"SELECT {columns}, count(*) AS n, count(*) OVER () FROM {quote_ident(view.name)}"
        f" GROUP BY ALL HAVING count(*) > 1 OR {nulls} ORDER BY n DESC, {positions} LIMIT {EXAMPLES}"
    ).fetchall()
    if not wrong:
        return
    keys = int(wrong[0][-1])
    examples = ", ".join(f"{_render(key, row[: len(key)])} ({_rows(row[len(key)])})" for row in wrong)
    what = " and ".join(key)
    raise SqlError(
        f"{view.label}: {keys:,} value(s) of {what} are NULL or on more than one row ({examples}"
        f"{', …' if keys > len(wrong) else ''}) — the staging contract needs exactly one row per {what}:"
        " deduplicate (or drop NULL keys) in the SQL"
    )


def _check_finite(
    con: duckdb.DuckDBPyConnection, view: ViewFile, numbers: Sequence[str], shown: Sequence[str]
) -> None:
    """One scan for all the numeric columns; the examples are looked up only when one fails."""
    counts = ", ".join(f"count(*) FILTER (WHERE NOT isfinite({quote_ident(c)}))" for c in numbers)
    found = con.execute(f"SELECT {counts} FROM {quote_ident(view.name)}").fetchall()[0]
    for column, bad in zip(numbers, found, strict=True):
        if bad:
            condition = f"NOT isfinite({quote_ident(column)})"
            rows, examples = _examples(con, quote_ident(view.name), condition, (*shown, column))
            raise SqlError(
                f"{view.label}: column {column} holds {rows:,} non-finite value(s) (NaN or ±infinity: {examples})"
                " — quarantine those rows or make the value NULL in the SQL"
            )


def _examples(
    con: duckdb.DuckDBPyConnection, name: str, condition: str, columns: Sequence[str]
) -> tuple[int, str]:
    """How many rows of ``name`` meet ``condition``, and the first few rendered as ``col value, …``."""
    selected = ", ".join(quote_ident(c) for c in columns)
    rows = con.execute(
        f"SELECT {selected}, count(*) OVER () FROM {name} WHERE {condition} ORDER BY ALL LIMIT {EXAMPLES}"
    ).fetchall()
    if not rows:
        return 0, ""
    total = int(rows[0][-1])
    shown = "; ".join(_render(columns, row[: len(columns)]) for row in rows)
    return total, shown + ("; …" if total > len(rows) else "")


def _render(columns: Sequence[str], values: Sequence[object]) -> str:
    return ", ".join(f"{c} {_value(v)}" for c, v in zip(columns, values, strict=True))


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _value(value: object) -> str:
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    return {row[0]: str(row[1]) for row in con.execute(f"DESCRIBE {name}").fetchall()}
