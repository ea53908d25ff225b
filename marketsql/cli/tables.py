"""Query results as text a person reads: whole columns, thousands separators, no exponent notation.

``table`` is plain aligned text (never cuts a column; rows are cut at ``--max-rows``), ``markdown`` a pipe
table, ``csv`` and ``json`` the raw values for other programs.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

FORMATS = ("table", "csv", "json", "markdown")


def cell(value: object) -> str:
    """One value as text: NULL, integers with thousands separators, decimals without an exponent.

    >>> [cell(v) for v in (None, 2_500_000, 2.5e6, 0.000123456, -1234.5678, float("nan"), "a\\nb")]
    ['NULL', '2,500,000', '2,500,000.00', '0.0001235', '-1,234.57', 'NaN', 'a\\\\nb']
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        return _number(float(value) if isinstance(value, float) else value)
    if isinstance(value, datetime | date | time | timedelta):
        return str(value)
    return str(value).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def _number(value: float | Decimal) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    size = abs(float(value))
    if size == 0 or size >= 1:
        return f"{value:,.2f}"
    places = min(12, 3 - math.floor(math.log10(size)))  # 4 significant digits, never an exponent
    return f"{value:,.{places}f}"


def text_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Aligned lines (header, rule, rows): each column as wide as its widest value; numbers right-aligned."""
    cells = [[cell(v) for v in row] for row in rows]
    numeric = [all(isinstance(r[i], int | float | Decimal) and not isinstance(r[i], bool) or r[i] is None
                   for r in rows) and any(r[i] is not None for r in rows) for i in range(len(header))]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    return [line(header), "  ".join("─" * w for w in widths), *(line(r) for r in cells)]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A GitHub-flavoured pipe table (``|`` in values escaped)."""

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

    return [line(header), line(["---"] * len(header)), *(line([cell(v) for v in row]) for row in rows)]


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """CSV with a header row; values as Python writes them (machine-readable, no separators)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def json_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A JSON array of objects, one per row; dates as ISO text, decimals as numbers."""
    return json.dumps([dict(zip(header, row)) for row in rows], default=_json_value, ensure_ascii=False, indent=1)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
