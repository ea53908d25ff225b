"""Beside the trend chart: the abnormal periods (``sales_anomalies``) and what drove the last month's change
(``revenue_drivers``)."""

from __future__ import annotations

from typing import Any

from .data import PALETTE, Data
from .page import Section, plain

GRAIN_ORDER = ("day", "week", "month")


def anomalies_and_drivers(db: Data, s: Section) -> None:
    """Add the total-revenue series with its anomalies marked, the latest anomalies, and the drivers of the
    change from the month before the last complete month to that month."""
    if db.has("customers_by_month", "sales_by_month"):
        from marketsql.trends.base import customer_base_notes

        for note in customer_base_notes(db.con):
            s.text(note[0].upper() + note[1:] + ".", css="baseline")
    charts = []
    if db.has("sales_anomalies"):
        figure = _anomaly_chart(db)
        if figure is not None:
            charts.append(figure)
    else:
        s.missing("sales_anomalies is missing — build the standard pipeline (`marketsql build`).")
    drivers = _drivers(db)
    if drivers is not None:
        charts.append(drivers[0])
    if charts:
        s.charts(charts)
    if db.has("sales_anomalies"):
        latest = db.rows("SELECT series, grain, period, actual, expected, size_pct, direction, method"
                         " FROM sales_anomalies WHERE dimension = 'total' AND metric = 'revenue'"
                         " ORDER BY period DESC, grain LIMIT 10")
        s.text("Anomalies: periods whose actual falls outside the expected range — the robust rule (median of the "
               "neighbouring periods, 3.5 robust standard deviations on the log scale) and, once a forecast is "
               "trained, the holdout months outside its 80 % interval. The latest in total revenue:")
        s.table(["series", "grain", "period", "actual", "expected", "size", "direction", "method"],
                [(r[0], r[1], str(r[2]), r[3], r[4], f"{r[5]:+.0%}" if r[5] is not None else "", r[6], r[7])
                 for r in latest])
    if drivers is not None:
        explained = drivers[1]
        s.text(f"What drove the change from {explained.period_a} to {explained.period_b}"
               f" ({explained.change:+,.0f}): the members whose revenue moved most unlike the whole (BigQuery ML's"
               " contribution-analysis ranking), with the change split into volume (customers overall), mix (the"
               " member's share of customers) and rate (revenue per customer) — `marketsql explain-change`. Segment"
               " is each customer's RFM segment today, which recency defines: for recent months it mostly restates"
               " who bought lately.")
        rows = sorted(explained.rows, key=lambda r: -float(r["contribution"] or 0))[:10]  # type: ignore[arg-type]
        s.table(["dimension", "member", "change", "unexpected change", "volume", "mix", "rate"],
                [(r["dimension"], r["member"], r["change"], r["unexpected_change"], r["volume_effect"],
                  r["mix_effect"], r["rate_effect"]) for r in rows])


def _anomaly_chart(db: Data) -> Any:
    import plotly.graph_objects as go

    grains = {g for (g,) in db.rows("SELECT DISTINCT grain FROM sales_anomalies")}
    grain = "week" if "week" in grains or not grains else next(g for g in GRAIN_ORDER if g in grains)
    series = db.rows("SELECT CAST(date_trunc(?, order_ts) AS DATE) AS period, sum(revenue) FROM stg_order_lines"
                     " GROUP BY 1 ORDER BY 1", [grain])
    if not series:
        return None
    marked = db.rows("SELECT period, actual, expected, direction FROM sales_anomalies WHERE metric = 'revenue'"
                     " AND dimension = 'total' AND grain = ? AND method = 'robust' ORDER BY period", [grain])
    figure = go.Figure(go.Scatter(x=[r[0] for r in series], y=[r[1] for r in series], mode="lines",
                                  name=f"revenue per {grain}", line={"color": PALETTE[0]}))
    for direction, colour in (("spike", PALETTE[1]), ("drop", PALETTE[5])):
        points = [r for r in marked if r[3] == direction]
        figure.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="markers",
                                    name=plain(f"{direction} (expected ~ median of neighbours)"),
                                    marker={"color": colour, "size": 10},
                                    customdata=[p[2] for p in points],
                                    hovertemplate="%{x}: %{y:,.0f} (expected %{customdata:,.0f})<extra></extra>"))
    figure.update_layout(title=f"Revenue per {grain}, anomalies marked (sales_anomalies)")
    return figure


def _drivers(db: Data) -> tuple[Any, Any] | None:
    import plotly.graph_objects as go

    from marketsql.trends.drivers import explain_change

    if not db.has("driver_lines", "sales_by_month"):
        return None
    months = [m for (m,) in db.rows("SELECT strftime(month, '%Y-%m') FROM sales_by_month WHERE dimension = 'total'"
                                    " AND NOT partial_month ORDER BY month DESC LIMIT 2")]
    if len(months) < 2:
        return None
    explained = explain_change(db.con, months[1], months[0], top=3)
    rows = sorted(explained.rows, key=lambda r: -float(r["contribution"] or 0))[:8]  # type: ignore[arg-type]
    labels = [plain(f"{r['dimension']}: {r['member']}") for r in rows][::-1]
    figure = go.Figure()
    for effect, colour in (("volume_effect", PALETTE[0]), ("mix_effect", PALETTE[2]), ("rate_effect", PALETTE[1])):
        figure.add_trace(go.Bar(y=labels, x=[r[effect] for r in rows][::-1], orientation="h", marker_color=colour,
                                name=effect.replace("_effect", "")))
    figure.update_layout(barmode="relative", title=f"Largest contributors, {months[1]} → {months[0]}"
                         " (volume + mix + rate = change)", yaxis={"automargin": True})
    return figure, explained
