"""Plain-text lines about a recommendation training and the served recommendations (CLI and demo)."""

from __future__ import annotations

import duckdb

from marketsql.models.registry import ModelRecord

from .train import RecommendationTraining

COLUMNS = ("precision", "recall", "ndcg", "map", "coverage")


def candidate_table(training: RecommendationTraining) -> list[str]:
    """The holdout comparison, one line per candidate."""
    k = training.k
    header = f"  {'candidate':<20}" + "".join(f"{name + '@' + str(k):>14}" for name in COLUMNS) + "   fit s"
    lines = [header]
    for row in training.candidates.itertuples(index=False):
        mark = "  <- chosen" if row.candidate == training.chosen else ""
        values = "".join(f"{getattr(row, name):>14.4f}" for name in COLUMNS)
        lines.append(f"  {row.candidate:<20}{values}{row.fit_seconds:>8.1f}{mark}")
    return lines


def training_lines(training: RecommendationTraining, record: ModelRecord) -> list[str]:
    """What `marketsql train recommendation` prints."""
    customers = int(training.candidates["customers"].max())
    lines = [f"Holdout: purchases from {training.cutoff} on, {customers:,} customers seen before the cutoff"
             f" who bought products new to them; lists of {training.k}, bought products excluded"]
    lines += candidate_table(training)
    lines.append(training.selection)
    if training.epoch_seconds:
        lines.append(f"Keras training: {len(training.epoch_seconds)} epochs,"
                     f" {sum(training.epoch_seconds) / len(training.epoch_seconds):.2f} s per epoch")
    lines.append(f"Registered recommendation v{record.version} ({record.kind}) as active; refitted on all data;"
                 " SQL: recommend(customer_id, k), recommend_for_segment(segment_id, k),"
                 " similar_products(product_id, k); marts customer_recommendations, segment_recommendations")
    return lines


def served_lines(con: duckdb.DuckDBPyConnection, customers: int = 2) -> list[str]:
    """A few customers' and every segment's top 3, read from the marts (for the demo summary)."""
    lines: list[str] = []
    rows = con.execute(
        "SELECT customer_id, string_agg(product_name, '; ' ORDER BY rank), any_value(source)"
        " FROM customer_recommendations WHERE rank <= 3 AND customer_id IN"
        " (SELECT DISTINCT customer_id FROM customer_recommendations ORDER BY customer_id LIMIT ?)"
        " GROUP BY customer_id ORDER BY customer_id", [customers]).fetchall()
    lines += [f"  customer {c}: {names}  ({source})" for c, names, source in rows]
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "segment_recommendations" in tables:
        rows = con.execute(
            "SELECT segment_name, string_agg(product_name || ' (in '"
            " || CAST(round(100 * share_of_customers) AS INTEGER) || '%)', '; ' ORDER BY rank)"
            " FROM segment_recommendations WHERE rank <= 3 GROUP BY segment_id, segment_name"
            " ORDER BY segment_id").fetchall()
        if rows:
            lines.append("  per segment, the products most often in its customers' personal top-10 lists"
                         " (in N% of the segment's lists):")
        lines += [f"  {name}: {offers}" for name, offers in rows]
    return lines
