"""The report's marketing-budget section: spend, ROI and acquisition cost by channel, response curves, a split."""

from __future__ import annotations

from typing import Any

from .data import PALETTE, Data
from .notes import add_baseline_note
from .page import Section, plain, plain_all


def budget(db: Data) -> Section:
    """Channel spend, ROI and acquisition cost; response curves; the suggested split of the budget."""
    import plotly.graph_objects as go

    s = Section("budget", "Marketing budget", "Where the money goes and what it brings: spend, attributed revenue, "
                "ROI and acquisition cost by channel, each channel's response curve, and a better split.")
    if not db.has("channel_month"):
        s.missing("channel_month is missing — the project has no marketing_spend source.")
        return s
    if not db.rows("SELECT count(*) FROM channel_month")[0][0]:
        s.missing("This project has no marketing spend (stg_marketing_spend is empty), so there is nothing to show.")
        return s
    channels = db.rows(
        "SELECT channel, sum(spend), sum(new_customers), sum(attributed_revenue),"
        " (sum(attributed_revenue) - sum(spend)) / nullif(sum(spend), 0), sum(spend) / nullif(sum(new_customers), 0)"
        " FROM channel_month WHERE window_complete GROUP BY 1 ORDER BY 5 DESC")
    roi = go.Figure(go.Bar(x=plain_all([c[0] for c in channels]), y=[c[4] for c in channels], marker_color=PALETTE[2],
                           hovertemplate="%{x}: ROI %{y:.0%}<extra></extra>"))
    roi.update_layout(title="ROI by channel (attributed revenue − spend) / spend", yaxis_tickformat=".0%")
    charts = [roi]
    if db.has("budget_response", "budget_allocation"):
        charts.append(_response_curves(db))
    s.charts(charts)
    s.table(["channel", "spend", "new customers", "attributed revenue", "ROI", "acquisition cost"], channels)
    s.text("Months whose attribution window is not closed yet are left out of these totals (window_complete).")
    if not db.has("budget_allocation"):
        s.missing("No response curves yet — run `marketsql train budget` for curves and a suggested split.")
        return s
    add_baseline_note(db, s, "budget")
    split = db.rows("SELECT channel, current_spend, suggested_spend, current_predicted_revenue,"
                    " suggested_predicted_revenue, coalesce(at_bound, '') FROM budget_allocation ORDER BY 3 DESC")
    now, then = sum(r[3] for r in split), sum(r[4] for r in split)
    s.kpis([(f"{sum(r[1] for r in split):,.0f}", "monthly budget"),
            (f"{now:,.0f}", "predicted revenue, current split"),
            (f"{then:,.0f}", "predicted revenue, suggested split"),
            (f"{then / now - 1:+.1%}" if now else "", "change")])
    s.table(["channel", "current spend", "suggested spend", "predicted revenue now", "predicted revenue suggested",
             "at a bound"], split)
    s.text("Assumptions: channels act independently (no halo or cannibalisation); a month's spend acts in that "
           "month; return is attributed revenue, not margin; no channel gets more than its cap, so the curves "
           "are not extrapolated far beyond the spend they were fitted on.")
    return s


def _response_curves(db: Data) -> Any:
    import plotly.graph_objects as go

    grid = db.rows("SELECT channel, spend, predicted_revenue FROM budget_response ORDER BY 1, 2")
    split = {c: (now, then) for c, now, then in db.rows(
        "SELECT channel, current_spend, suggested_spend FROM budget_allocation")}
    figure = go.Figure()
    for i, channel in enumerate(dict.fromkeys(g[0] for g in grid)):
        points = [g for g in grid if g[0] == channel]
        colour = PALETTE[i % len(PALETTE)]
        figure.add_trace(go.Scatter(x=[p[1] for p in points], y=[p[2] for p in points], mode="lines",
                                    name=plain(channel), line={"color": colour}, legendgroup=channel))
        if channel in split:
            figure.add_trace(go.Scatter(x=list(split[channel]), y=[_at(points, x) for x in split[channel]],
                                        mode="markers", marker={"color": colour, "symbol": ["circle", "star"],
                                                                "size": [8, 13]},
                                        legendgroup=channel, showlegend=False,
                                        hovertext=["current spend", "suggested spend"]))
    figure.update_layout(title="Response curves: predicted monthly revenue by spend (● now, ★ suggested)",
                         xaxis_title="monthly spend", yaxis_title="attributed revenue")
    return figure


def _at(points: list[tuple[Any, ...]], x: float) -> float:
    """Linear interpolation of a curve's (spend, revenue) grid at spend ``x``."""
    for (x0, y0), (x1, y1) in zip([p[1:] for p in points], [p[1:] for p in points[1:]]):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * ((x - x0) / (x1 - x0) if x1 > x0 else 0.0)
    return points[-1][2] if x > points[-1][1] else points[0][2]
