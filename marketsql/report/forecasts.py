"""The trend section's forecasts: revenue by category on the main chart, then one chart per other trained measure
× cut (the total, category, country, segment — whatever `marketsql train forecast` was given), and the holdout
check of every series.

History comes from ``sales_by_month`` (complete months) where it has the part; a part it has not — a segment (cut
by the segment each buyer had when the month began) or the pooled small parts — shows its held-out months'
actuals from ``forecast_holdout`` instead, so every line drawn is a figure the model saw or was tested on.
"""

from __future__ import annotations

from typing import Any

from .data import PALETTE, Data
from .page import Section, plain

MEASURE_COLUMNS = {"revenue": "revenue", "orders": "orders", "customers": "customers"}  # sales_by_month's columns
HISTORY_DIMENSIONS = ("total", "category", "country")  # the cuts sales_by_month holds


def add_forecast(db: Data, figure: Any, colours: dict[str, str], measure: str = "revenue",
                 dimension: str = "category", method_in_legend: bool = True) -> None:
    """Dashed forecast lines with their 80 % band for every part of ``measure`` by ``dimension`` (the method in
    the legend, or only in the hover text where the legend is narrow)."""
    import plotly.graph_objects as go

    rows = db.rows("SELECT category, month, forecast, lower, upper, method FROM sales_forecast"
                   " WHERE dimension = ? AND measure = ? ORDER BY 1, 2", [dimension, measure])
    for category in dict.fromkeys(r[0] for r in rows):
        points = [r for r in rows if r[0] == category]
        colour = colours.setdefault(category, PALETTE[len(colours) % len(PALETTE)])
        months = [p[1] for p in points]
        figure.add_trace(go.Scatter(x=months + months[::-1], y=[p[4] for p in points] + [p[3] for p in points][::-1],
                                    fill="toself", line={"width": 0}, fillcolor=colour, opacity=0.15,
                                    hoverinfo="skip", showlegend=False, legendgroup=category))
        figure.add_trace(go.Scatter(x=months, y=[p[2] for p in points], mode="lines", legendgroup=category,
                                    line={"color": colour, "dash": "dash"}, hovertext=plain(points[0][5]),
                                    name=plain(f"{category} forecast" + (f" ({points[0][5]})" if method_in_legend
                                                                         else ""))))


def _history(db: Data, measure: str, dimension: str, parts: list[str]) -> dict[str, list[tuple[Any, float]]]:
    """Per part: (month, value) of the complete months sales_by_month holds, else the holdout's actuals."""
    found: dict[str, list[tuple[Any, float]]] = {p: [] for p in parts}
    if dimension in HISTORY_DIMENSIONS and db.has("sales_by_month"):
        column = MEASURE_COLUMNS[measure]
        for key, month, value in db.rows(f'SELECT key, month, "{column}" FROM sales_by_month WHERE dimension = ?'
                                         " AND NOT partial_month ORDER BY key, month", [dimension]):
            if str(key) in found:
                found[str(key)].append((month, value))
    without = {key for key, points in found.items() if not points}
    if without and db.has("forecast_holdout"):
        for key, month, value in db.rows("SELECT category, month, actual FROM forecast_holdout WHERE measure = ?"
                                         " AND dimension = ? ORDER BY 1, 2", [measure, dimension]):
            if key in without:
                found[key].append((month, value))
    return found


def _cut_chart(db: Data, measure: str, dimension: str) -> Any:
    import plotly.graph_objects as go

    parts = [str(p) for (p,) in db.rows("SELECT DISTINCT category FROM sales_forecast WHERE measure = ? AND"
                                         " dimension = ? ORDER BY 1", [measure, dimension])]
    figure = go.Figure()
    colours: dict[str, str] = {}
    for part, points in _history(db, measure, dimension, parts).items():
        colours[part] = PALETTE[len(colours) % len(PALETTE)]
        figure.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], name=plain(part),
                                    mode="lines", line={"color": colours[part]}, legendgroup=part))
    add_forecast(db, figure, colours, measure, dimension, method_in_legend=False)
    cut = "in total" if dimension == "total" else f"by {dimension}"
    figure.update_layout(title=f"Monthly {measure} {cut} (dashed: forecast with its interval)",
                         legend={"orientation": "h", "yanchor": "top", "y": -0.15, "font": {"size": 10}})
    return figure


def forecast_cuts(db: Data, s: Section) -> None:
    """A chart for every trained measure × cut but revenue by category (the main chart), then the holdout check
    of every series."""
    if not db.has("sales_forecast"):
        return
    order = "CASE dimension WHEN 'total' THEN 0 WHEN 'category' THEN 1 WHEN 'country' THEN 2 ELSE 3 END"
    cuts = db.rows(f"SELECT DISTINCT measure, dimension, {order} FROM sales_forecast ORDER BY"
                   " CASE measure WHEN 'revenue' THEN 0 WHEN 'orders' THEN 1 ELSE 2 END, 3")
    figures = [_cut_chart(db, m, d) for m, d, _ in cuts if m in MEASURE_COLUMNS and (m, d) != ("revenue", "category")]
    if figures:
        s.text("Every series the forecast was trained on: " + ", ".join(
            f"{m} {'in total' if d == 'total' else f'by {d}'}" for m, d, _ in cuts)
            + ". Solid: complete months (a segment's or a pooled part's: its held-out months only); dashed: the"
              " forecast, reconciled so that the parts add up to the total where they can.")
        s.charts(figures)
    if not db.has("forecast_accuracy"):
        return
    rows = db.rows(f"SELECT measure, dimension, category, model_method, model_mase, model_coverage, baseline_method,"
                   f" baseline_mase, baseline_coverage, winner, holdout_months, origins FROM forecast_accuracy"
                   f" ORDER BY CASE measure WHEN 'revenue' THEN 0 WHEN 'orders' THEN 1 ELSE 2 END, {order}, category")
    s.text("Forecast check: each series' last months were held out and forecast from the months before, at that "
           "origin and earlier ones, by the mean of the candidate models (ETS, log ETS, Theta, ARIMA; with "
           "--library statsforecast its AutoETS, AutoARIMA, AutoTheta) and by a "
           "naive baseline; the model is served only where it beats the baseline at every origin, and then "
           "blended with it by inverse MASE (the weights are in the method's name), else the baseline is served "
           "(MASE: error relative to a seasonal naive forecast in sample, mean over the origins). "
           "Coverage: share of the held-out months inside the 80 % interval.")
    s.table(["measure", "cut", "series", "model", "model MASE", "coverage", "baseline", "baseline MASE", "coverage",
             "winner", "holdout months", "origins"],
            [(*r[:5], _share(r[5]), *r[6:8], _share(r[8]), *r[9:]) for r in rows])


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"
