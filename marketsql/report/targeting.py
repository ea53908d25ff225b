"""The report's "Targeting" section: per propensity target, the candidates beside the baseline, lift and
calibration charts, and the reasons that most often top the first decile."""

from __future__ import annotations

from .data import PALETTE, Data
from .page import Section, plain

TOPS = (5, 10, 20)


def targeting(db: Data) -> Section:
    """Candidates table, lift by top share and reliability per target, top reasons in the first decile."""
    import plotly.graph_objects as go

    s = Section("targeting", "Targeting",
                "Who will buy within the horizon (model kind propensity): a baseline rule, logistic regression and "
                "gradient-boosted trees, judged on the latest cutoff whose horizon is complete; the best PR AUC is "
                "served (the baseline when no model beats it).")
    record = db.active_model("propensity") if db.has("customer_propensity") else None
    if record is None:
        s.missing("No propensity model yet — run `marketsql train propensity --target repeat`.")
        return s
    version, metrics = record.version, record.metrics
    cut = metrics["cutoffs"]
    s.kpis([(str(len(metrics["targets"])), "targets"), (f"{cut['horizon_days']} days", "horizon"),
            (cut["evaluation"], "judged at (labels to the horizon's end)")])
    rows, lifts, calibration = [], [], []
    for i, (target, t) in enumerate(metrics["targets"].items()):
        for name, m in t["candidates"].items():
            rows.append((target, name + (" (served)" if name == t["served"] else ""), f"{m['pr_auc']:.3f}",
                         f"{m['roc_auc']:.3f}", f"{m['brier']:.4f}", f"{m['lift_top_10']:.2f}",
                         f"{m['capture_top_10']:.0%}"))
        lifts.append(go.Figure([go.Bar(name=name, x=[f"top {p} %" for p in TOPS],
                                       y=[t["candidates"][name][f"lift_top_{p}"] for p in TOPS],
                                       marker_color=PALETTE[j % len(PALETTE)])
                                for j, name in enumerate(t["candidates"])]))
        lifts[-1].update_layout(title=f"Lift: {plain(target)}", yaxis_title="buying rate / overall rate")
        bins = t["candidates"][t["served"]]["reliability"]
        calibration.append(go.Figure([
            go.Scatter(name="served", x=[b["predicted"] for b in bins], y=[b["observed"] for b in bins],
                       mode="lines+markers", line={"color": PALETTE[i % len(PALETTE)]}),
            go.Scatter(name="perfect", x=[0, max(b["predicted"] for b in bins)],
                       y=[0, max(b["predicted"] for b in bins)], mode="lines", line={"dash": "dot", "color": "#999"})]))
        calibration[-1].update_layout(title=f"Calibration ({t['served']}): {plain(target)}",
                                      xaxis_title="predicted", yaxis_title="observed")
    s.text(f"propensity v{version}: " + "; ".join(
        f"{target}: {t['served']}" + (" — baseline served, no model beat it" if t["baseline_served"] else "")
        for target, t in metrics["targets"].items()))
    s.table(["target", "candidate", "PR AUC", "ROC AUC", "Brier", "lift top 10 %", "capture top 10 %"], rows)
    s.charts(lifts)
    s.charts(calibration)
    reasons = db.rows("SELECT target, split_part(reason_1, ' ', 1) AS feature, count(*) FROM customer_propensity"
                      " WHERE decile = 1 GROUP BY 1, 2 QUALIFY row_number() OVER (PARTITION BY target"
                      " ORDER BY count(*) DESC, feature) <= 3 ORDER BY 1, 3 DESC")
    s.table(["target", "first reason in the top decile", "customers"], reasons)
    return s
