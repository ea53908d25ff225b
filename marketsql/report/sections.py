"""The report's sections, each read from the built database's views and marts.

A section whose views are absent (a model not trained yet, a project without that source) says
what to run instead of failing, so the report works on any marketsql project.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .budget import budget
from .changes import anomalies_and_drivers
from .customer_value import customer_value
from .data import PALETTE, TIER_COLOURS, Data
from .forecasts import add_forecast, forecast_cuts
from .notes import add_baseline_note
from .page import Section, plain, plain_all
from .targeting import targeting


def overview(db: Data) -> Section:
    """Headline figures of the period and what cleaning did with the raw rows."""
    s = Section("overview", "Overview", "The business in the period covered by the data, after cleaning.")
    if not db.has("stg_order_lines"):
        s.missing("stg_order_lines is missing — this project does not build the standard pipeline's views "
                  "(`marketsql init` copies them).")
        return s
    first, last, customers, orders, revenue = db.rows(
        "SELECT CAST(min(order_ts) AS DATE), CAST(max(order_ts) AS DATE), count(DISTINCT customer_id),"
        " count(DISTINCT order_id), coalesce(sum(revenue), 0) FROM stg_order_lines")[0]
    s.kpis([(f"{first} – {last}", "period"), (f"{customers:,}", "buying customers"), (f"{orders:,}", "orders"),
            (f"{revenue:,.0f}", "revenue"), (f"{revenue / max(orders, 1):,.2f}", "average order value")])
    if db.has("data_quality"):
        s.text("Every raw row is accounted for: purchases and returns feed the analysis; quarantined rows are "
               "kept with their reason in quarantine_order_lines.")
        s.table(["source", "disposition", "reason", "rows", "% of raw"], db.rows(
            "SELECT source, disposition, coalesce(reason, ''), rows, pct_of_raw FROM data_quality"
            " ORDER BY 1, 2, 4 DESC"))
    return s


def segments(db: Data) -> Section:
    """Segment sizes, revenue shares and profiles from the active segmentation model."""
    import plotly.graph_objects as go

    s = Section("segments", "Customer segments",
                "Who the customers are: segments found by the active segmentation model, with their profiles.")
    if not db.has("segment_profiles"):
        s.missing("No segmentation model is trained yet — run `marketsql train segmentation`.")
        return s
    rows = db.rows("SELECT segment_name, customers, share_of_customers, share_of_revenue, median_recency_days,"
                   " median_frequency, median_monetary, top_categories, distinguishing_features"
                   " FROM segment_profiles ORDER BY share_of_revenue DESC")
    names = plain_all([r[0] for r in rows])
    figure = go.Figure([
        go.Bar(name="share of customers", x=names, y=[r[2] for r in rows], marker_color=PALETTE[0]),
        go.Bar(name="share of revenue", x=names, y=[r[3] for r in rows], marker_color=PALETTE[1]),
    ])
    figure.update_layout(barmode="group", title="Segment size and revenue share", yaxis_tickformat=".0%")
    s.chart(figure)
    add_baseline_note(db, s, "segmentation")
    s.table(["segment", "customers", "share of customers", "share of revenue", "median recency (days)",
             "median orders", "median spend", "top categories", "what sets it apart"],
            [(r[0], r[1], f"{r[2]:.1%}", f"{r[3]:.1%}", *r[4:]) for r in rows])
    return s


def recommendations(db: Data) -> Section:
    """What to offer each segment, and how the recommender compared with its baselines on held-out purchases."""

    s = Section("recommendations", "Recommendations",
                "What to offer whom: the products most often in a segment's personal top-10 lists, and how the "
                "served recommender did against simple baselines on purchases it had not seen.")
    if not db.has("segment_recommendations"):
        s.missing("No recommendation model yet — run `marketsql train recommendation` (after segmentation).")
        return s
    record = db.active_model("recommendation")
    if record is not None:
        version, kind, metrics = record.version, record.kind, record.metrics
        k, lift = metrics.get("k", 10), metrics.get("ndcg_lift_over_popularity")
        s.text(f"Served: {kind} (recommendation v{version}), chosen on purchases after {metrics.get('cutoff')}"
               + (f"; NDCG@{k} {lift:+.0%} against global popularity." if lift is not None else "."))
        s.table(["candidate", f"precision@{k}", f"recall@{k}", f"NDCG@{k}", f"MAP@{k}", "catalogue coverage",
                 "served"],
                [(c["candidate"], c.get("precision"), c.get("recall"), c.get("ndcg"), c.get("map"),
                  c.get("coverage"), "✓" if c["candidate"] == kind else "")
                 for c in metrics.get("candidates", [])])
    add_baseline_note(db, s, "recommendation")
    k = metrics.get("k", 10) if record is not None else 10
    offers = db.rows("SELECT segment_name, rank, product_name, category, share_of_customers"
                     " FROM segment_recommendations WHERE rank <= 5 ORDER BY segment_id, rank")
    s.text(f"What to offer each segment: the products that appear most often in its customers' personal top-{k} "
           "lists, and in how many of those lists.")
    s.table(["segment", "rank", "product", "category", "how often it is recommended"],
            [(*r[:4], f"in {r[4]:.0%} of this segment's top-{k} lists") for r in offers])
    return s


def rfm(db: Data) -> Section:
    """Recency × frequency heatmap of customers (RFM quintile scores) and the classic RFM segments."""
    import plotly.graph_objects as go

    s = Section("rfm", "RFM heatmap",
                "Customers by recency score (5 = bought most recently) and frequency score (5 = most orders); "
                "colour is the number of customers, hover for their average spend.")
    if not db.has("rfm_segments", "customer_features"):
        s.missing("rfm_segments is missing — build the standard pipeline (`marketsql build`).")
        return s
    cells = {(r, f): (n, m) for r, f, n, m in db.rows(
        "SELECT r.r_score, r.f_score, count(*), avg(c.monetary) FROM rfm_segments r"
        " JOIN customer_features c USING (customer_id) GROUP BY 1, 2")}
    scores = [1, 2, 3, 4, 5]
    z = [[cells.get((r, f), (0, None))[0] for f in scores] for r in scores]
    spend = [[cells.get((r, f), (0, 0.0))[1] or 0.0 for f in scores] for r in scores]
    figure = go.Figure(go.Heatmap(
        z=z, x=[f"F{f}" for f in scores], y=[f"R{r}" for r in scores], customdata=spend, colorscale="Blues",
        colorbar={"title": {"text": "customers"}},
        hovertemplate="%{y} %{x}: %{z} customers, average spend %{customdata:,.0f}<extra></extra>",
        text=z, texttemplate="%{text}"))
    figure.update_layout(title="Customers by recency and frequency score")
    by_segment = db.rows("SELECT rfm_segment, count(*), avg(c.monetary) FROM rfm_segments r"
                         " JOIN customer_features c USING (customer_id) GROUP BY 1 ORDER BY 2 DESC")
    bars = go.Figure(go.Bar(x=plain_all([r[0] for r in by_segment]), y=[r[1] for r in by_segment],
                            marker_color=PALETTE[2]))
    bars.update_layout(title="Customers per RFM segment")
    s.charts([figure, bars])
    return s


def trends(db: Data) -> Section:
    """Monthly revenue by category (with the forecast when one is trained), growth, new vs returning
    customers and cohort retention."""
    import plotly.graph_objects as go

    s = Section("trends", "Trends", "How the market is moving: revenue by category per month, growth, "
                "new and returning customers, and how cohorts keep buying.")
    if not db.has("sales_by_month"):
        s.missing("sales_by_month is missing — build the standard pipeline (`marketsql build`).")
        return s
    series = db.rows("SELECT key, month, revenue FROM sales_by_month WHERE dimension = 'category'"
                     " AND NOT partial_month ORDER BY key, month")
    figure = go.Figure()
    colours: dict[str, str] = {}
    for category in dict.fromkeys(r[0] for r in series):
        colours[category] = PALETTE[len(colours) % len(PALETTE)]
        points = [r for r in series if r[0] == category]
        figure.add_trace(go.Scatter(x=[p[1] for p in points], y=[p[2] for p in points], name=plain(category),
                                    mode="lines", line={"color": colours[category]}, legendgroup=category))
    if db.has("sales_forecast"):
        add_forecast(db, figure, colours)
    else:
        s.missing("No forecast yet — run `marketsql train forecast` to add the next months per category.")
    figure.update_layout(title="Monthly revenue by category (complete months; dashed: forecast with its interval)")
    s.chart(figure, height=460)
    anomalies_and_drivers(db, s)
    add_baseline_note(db, s, "forecast")
    forecast_cuts(db, s)
    latest = db.rows("SELECT key, month, revenue, mom_growth, yoy_growth, revenue_ma3 FROM sales_by_month"
                     " WHERE dimension = 'category' AND NOT partial_month"
                     " QUALIFY month = max(month) OVER () ORDER BY revenue DESC")
    if latest:
        s.text(f"Latest complete month ({latest[0][1]}): growth against the month before and the same month "
               "a year before.")
        s.table(["category", "month", "revenue", "month-over-month", "year-over-year", "3-month average"],
                [(r[0], str(r[1]), r[2], _pct(r[3]), _pct(r[4]), r[5]) for r in latest])
    charts = []
    if db.has("customers_by_month"):
        months = db.rows("SELECT month, new_customers, returning_customers FROM customers_by_month ORDER BY 1")
        bars = go.Figure([
            go.Bar(name="new", x=[m[0] for m in months], y=[m[1] for m in months], marker_color=PALETTE[1]),
            go.Bar(name="returning", x=[m[0] for m in months], y=[m[2] for m in months], marker_color=PALETTE[0])])
        bars.update_layout(barmode="stack", title="New and returning customers per month")
        charts.append(bars)
    if db.has("cohort_retention"):
        charts.append(_cohort_heatmap(db))
    if charts:
        s.charts(charts)
    return s


def _cohort_heatmap(db: Data) -> Any:
    import plotly.graph_objects as go

    rows = db.rows("SELECT cohort_month, months_since_first, retention FROM cohort_retention"
                   " WHERE months_since_first BETWEEN 1 AND 12 ORDER BY 1, 2")
    cohorts = sorted({r[0] for r in rows})
    lookup = {(r[0], r[1]): r[2] for r in rows}
    z = [[lookup.get((c, m)) for m in range(1, 13)] for c in cohorts]
    labels = [f"{c:%Y-%m}" if hasattr(c, "strftime") else str(c)[:7] for c in cohorts]  # cohort months, not dates
    figure = go.Figure(go.Heatmap(z=z, x=list(range(1, 13)), y=labels, colorscale="Greens",
                                  colorbar={"title": {"text": "bought again"}, "tickformat": ".0%"},
                                  hovertemplate="cohort %{y}, month %{x}: %{z:.0%} bought again<extra></extra>"))
    figure.update_layout(title="Cohort retention (share of a first-purchase cohort buying n months later)",
                         xaxis_title="months since first purchase", yaxis_title="cohort (month of first purchase)",
                         yaxis={"type": "category", "autorange": "reversed"}, xaxis={"dtick": 1})
    return figure


def baskets(db: Data) -> Section:
    """The strongest association rules (what is bought together)."""
    s = Section("baskets", "Bought together", "Association rules from order baskets (Apriori in SQL): "
                "if a basket holds the left side, how often it also holds the right side.")
    if not db.has("association_rules"):
        s.missing("association_rules is missing — build the standard pipeline (`marketsql build`).")
        return s
    rules = db.rows("SELECT [antecedent_1, antecedent_2, antecedent_3], consequent, baskets, support, confidence,"
                    " lift FROM association_rules ORDER BY lift DESC, confidence DESC LIMIT 15")
    if not rules:
        settings = db.rows("SELECT * FROM basket_settings") if db.has("basket_settings") else []
        s.missing(f"No rule reaches the thresholds {settings[0] if settings else ''} — lower basket_min_support "
                  "or basket_min_confidence in [settings].")
        return s
    names = dict(db.rows("SELECT product_id, product_name FROM stg_products")) if db.has("stg_products") else {}
    s.table(["if the basket has", "it also has", "baskets", "support", "confidence", "lift"],
            [(" + ".join(names.get(i, i) for i in items if i is not None), names.get(c, c), *rest)
             for items, c, *rest in rules])
    return s


def positioning(db: Data) -> Section:
    """The perceptual map of the products with sales on it, and what drives price and sales."""
    import plotly.graph_objects as go

    s = Section("positioning", "Product positioning",
                "Where each product sits: the two main directions of its attributes (PCA), bubble size = units "
                "sold, colour = price tier; and which attributes drive price and sales.")
    if not db.has("position_map"):
        attributes = db.rows("SELECT count(*) FROM stg_product_attributes")[0][0] \
            if db.has("stg_product_attributes") else 0
        s.missing("No positioning model yet — run `marketsql train positioning`." if attributes else
                  "This project has no product attributes (stg_product_attributes is empty), so there is no map.")
        return s
    rows = db.rows("SELECT product_name, brand, price, price_tier, tier_rank, x, y, coalesce(units, 0),"
                   " expected_price FROM position_map ORDER BY tier_rank, product_name")
    axes: dict[str, str] = {}
    if db.has("position_axes"):
        for axis, attribute, loading, explained in db.rows(
                "SELECT axis, attribute, loading, explained_variance FROM position_axes WHERE loading_rank <= 3"
                " ORDER BY axis, loading_rank"):
            axes[axis] = axes.get(axis, f"{explained:.0%} of variance:") + f" {'+' if loading > 0 else '−'}{attribute}"
    figure = go.Figure()
    biggest = max((r[7] for r in rows), default=0) or 1
    for tier in dict.fromkeys(r[3] for r in rows):
        points = [r for r in rows if r[3] == tier]
        figure.add_trace(go.Scatter(
            x=[p[5] for p in points], y=[p[6] for p in points], mode="markers", name=plain(tier),
            marker={"size": [8 + 32 * (p[7] / biggest) ** 0.5 for p in points], "opacity": 0.7,
                    "color": TIER_COLOURS.get(int(points[0][4]), PALETTE[0]), "line": {"width": 0.5, "color": "white"}},
            text=[f"{plain(p[0])} ({plain(p[1])})<br>price {p[2]:,.0f}, expected {p[8]:,.0f}<br>{p[7]:,.0f} units"
                  for p in points],
            hovertemplate="%{text}<extra></extra>"))
    figure.update_layout(title="Perceptual map (bubble size: units sold)",
                         xaxis_title=plain(axes.get("x", "first component")),
                         yaxis_title=plain(axes.get("y", "second component")))
    s.chart(figure, height=560)
    add_baseline_note(db, s, "positioning")
    if db.has("position_drivers"):
        drivers = db.rows("SELECT model, term, effect_pct FROM position_drivers WHERE importance_rank <= 8"
                          " ORDER BY model, importance_rank")
        s.text("Drivers: the change in expected price or sales for one standard deviation more of an attribute "
               "(brands: against the average brand), from ridge regressions on the log scale.")
        s.table(["model", "attribute or brand", "effect (%)"], drivers)
    return s


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:+.1%}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


SECTIONS: list[Callable[[Data], Section]] = [overview, segments, rfm, recommendations, trends, positioning, baskets,
                                             budget, customer_value, targeting]
