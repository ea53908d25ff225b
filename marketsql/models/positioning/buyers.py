"""Who is most likely to buy a new product: the customers of the segments that buy its nearest competitors, ranked
by the served propensity of buying its category (mart ``customer_propensity``, target ``category:<category>``).

The segments taken are the largest buyers of the competitors, until they cover ``COVER`` of those buyers (at least
one). Without a propensity model for the category, or without segments, a note says what to run instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

COVER = 0.8


@dataclass(frozen=True)
class LikelyBuyer:
    """A customer, its segment and its probability of buying the category within the propensity horizon."""

    customer_id: str
    segment_name: str
    probability: float


def _built(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?"
                            " AND database_name = current_database()", [table]).fetchall()[0][0])


def buying_segments(shares: list[tuple[str, float]]) -> list[str]:
    """The largest segments (``(name, share)``, largest first) until they cover ``COVER`` of the buyers."""
    chosen, covered = [], 0.0
    for name, share in shares:
        if covered >= COVER - 1e-9:
            break
        chosen.append(name)
        covered += share
    return chosen


def likely_buyers(con: duckdb.DuckDBPyConnection, category: str, segments: list[str] | None, top: int,
                  notes: list[str]) -> list[LikelyBuyer] | None:
    """The ``top`` customers of ``segments`` by propensity for ``category:<category>``; None (and a note) when
    the propensity model or the segments are missing."""
    target = f"category:{category}"
    known = []
    if _built(con, "customer_propensity"):
        known = [r[0] for r in con.execute("SELECT DISTINCT target FROM customer_propensity").fetchall()]
    if target not in known:
        notes.append(f"customers most likely to buy it: run `marketsql train propensity --target {target}` (with a"
                     " --target for every other target you use), then run this again")
        return None
    if not segments:
        notes.append("customers most likely to buy it: no segment buys the competitors — run"
                     " `marketsql train segmentation`")
        return None
    rows = con.execute(
        "SELECT CAST(p.customer_id AS VARCHAR), s.segment_name, p.probability FROM customer_propensity AS p"
        " JOIN customer_segments AS s ON CAST(s.customer_id AS VARCHAR) = CAST(p.customer_id AS VARCHAR)"
        " WHERE p.target = ? AND s.segment_name IN (SELECT unnest(?)) AND p.probability IS NOT NULL"
        " ORDER BY p.probability DESC, 1 LIMIT ?", [target, segments, top]).fetchall()
    return [LikelyBuyer(str(c), str(s), float(p)) for c, s, p in rows]
