"""The report's "Customer value" section: the clv model's holdout check, p_alive and CLV by segment."""

from __future__ import annotations

from .data import PALETTE, Data
from .page import Section, plain


def customer_value(db: Data) -> Section:
    """Calibration plot, baseline comparison, p_alive distribution and CLV by segment (or value tier)."""
    import plotly.graph_objects as go

    s = Section("customer-value", "Customer value",
                "What each customer is worth and whether they are still a customer: BG/NBD or Pareto/NBD, whichever "
                "predicted the holdout better (purchases and dropout), with Gamma-Gamma (spend per purchase), "
                "checked on a holdout period it had not seen.")
    record = db.active_model("clv") if db.has("customer_value") else None
    if record is None:
        s.missing("No customer-value model yet — run `marketsql train clv`.")
        return s
    version, params, metrics = record.version, record.params, record.metrics
    total, customers, alive = db.rows("SELECT sum(clv_12m), count(*), avg(p_alive) FROM customer_value")[0]
    s.kpis([(f"{total:,.0f}", "expected revenue, next 12 months (discounted)"), (f"{customers:,}", "customers"),
            (f"{alive:.0%}", "mean p_alive"),
            (f"{params['holdout_days']} days", f"holdout after {params['calibration_end']}")])
    losing = metrics.get("loses_to") or []
    s.text(f"clv v{version}: " + ("the model beats both baselines on every holdout score." if not losing else
                                 "the model LOSES to a baseline on " + ", ".join(losing) + "."))
    served = "Pareto/NBD" if metrics.get("purchase_model") == "pareto_nbd" else "BG/NBD"
    names = {"model": f"{served} + Gamma-Gamma", "own_rate": "customer's own rate", "group_rate": "group's rate"}
    s.table(["predictor", "MAE purchases", "total error", "Spearman", "top-10 % revenue capture"],
            [(names[k], f"{v['mae']:.3f}", f"{v['total_error_pct']:+.1f} %", f"{v['spearman']:.3f}",
              f"{v['top_decile_capture']:.1%}") for k, v in metrics["holdout"].items()])
    table = metrics["calibration_table"]
    bins = [row["frequency_cal"] for row in table]
    calibration = go.Figure([go.Bar(name="actual", x=bins, y=[row["actual"] for row in table],
                                    marker_color=PALETTE[0])]
                            + [go.Scatter(name=names[k], x=bins, y=[row[k] for row in table], mode="lines+markers",
                                          line={"color": PALETTE[i + 1]}) for i, k in enumerate(names)])
    calibration.update_layout(title="Mean holdout purchases by calibration repeat purchases",
                              xaxis_title="repeat purchases in the calibration period", yaxis_title="purchases")
    by = "segment_name" if db.has("customer_segments") else "value_tier"
    join = "JOIN customer_segments USING (customer_id)" if by == "segment_name" else ""
    groups = db.rows(f"SELECT {by}, count(*), avg(p_alive), avg(clv_12m), sum(clv_12m) FROM customer_value {join}"
                     " GROUP BY 1 ORDER BY 5 DESC")
    spread = go.Figure([go.Box(name=plain(str(g)), y=[r[0] for r in db.rows(
        f"SELECT p_alive FROM customer_value {join} WHERE {by} = ?", [g])], marker_color=PALETTE[i % len(PALETTE)])
        for i, (g, *_) in enumerate(groups)])
    spread.update_layout(title="p_alive by " + ("segment" if join else "value tier"), yaxis_tickformat=".0%",
                         showlegend=False)
    s.charts([calibration, spread])
    value = go.Figure(go.Bar(x=[plain(str(g[0])) for g in groups], y=[g[4] for g in groups], marker_color=PALETTE[2]))
    value.update_layout(title="Expected revenue in the next 12 months by " + ("segment" if join else "value tier"))
    s.chart(value)
    s.table(["segment" if join else "value tier", "customers", "mean p_alive", "mean clv 12 months",
             "clv 12 months"], [(g, n, f"{a:.0%}", f"{m:,.0f}", f"{t:,.0f}") for g, n, a, m, t in groups])
    return s
