"""A registered model in words: its headline metric, and a note when a baseline beats it.

Each kind stores its own metrics (``meta.models.metrics``); these functions read the ones that say how
good the model is and whether the simple baseline it was compared with did better — for `marketsql
models`, ``repr(ModelRecord)``, the training output and the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def headline(name: str, metrics: Mapping[str, Any]) -> str:
    """The one metric that says how good a model of ``name`` is, short enough for an 80-column line.

    >>> headline("segmentation", {"k": 5, "silhouette": 0.4123})
    'silhouette 0.412, k=5'
    >>> headline("forecast", {"series": 6, "model_wins": 4, "baseline_wins": 2})
    'beats naive on 4 of 6 series'
    """
    m = metrics
    if name == "segmentation" and _num(m.get("silhouette")):
        return f"silhouette {m['silhouette']:.3f}, k={m.get('k')}"
    if name == "recommendation" and _num(m.get("ndcg_at_k")):
        lift = m.get("ndcg_lift_over_popularity")
        return f"NDCG@{m.get('k', 10)} {m['ndcg_at_k']:.3f}" + (f" ({lift:+.0%} vs popular)" if _num(lift) else "")
    if name == "positioning" and _num(m.get("price_r2")):
        return f"price R² {m['price_r2']:.2f}" + (f" (brand mean {m['price_r2_brand_mean']:.2f})"
                                                   if _num(m.get("price_r2_brand_mean")) else "")
    if name == "forecast" and "model_wins" in m:
        return f"beats naive on {m['model_wins']} of {m.get('series', '?')} series"
    if name == "budget" and "winner" in m:
        return f"{m['winner']} win"
    if name == "clv" and "loses_to" in m:
        lost = len(m["loses_to"])
        return ("beats both baselines" if not lost else f"a baseline wins {lost} score{'s' * (lost > 1)}") \
            + (f", MAE {m['holdout_mae']:.3f}" if _num(m.get("holdout_mae")) else "")
    if name == "uplift" and isinstance(m.get("qini"), dict) and m["qini"]:
        return "Qini " + ", ".join(f"{arm} {q:.3f}" for arm, q in m["qini"].items() if _num(q))
    if name == "propensity" and _num(m.get("pr_auc")):
        return f"PR AUC {m['pr_auc']:.3f}" + (f", lift@10% {m['lift_top_10']:.2f}" if _num(m.get("lift_top_10"))
                                              else "")
    first = next(((k, v) for k, v in m.items() if _num(v)), None)
    return f"{first[0]} {first[1]:.3g}" if first else ""


def baseline_note(name: str, kind: str, metrics: Mapping[str, Any]) -> str | None:
    """A plain sentence when a simple baseline did better than the model on held-out data, else None.

    >>> baseline_note("budget", "response_curves", {"winner": "constant CAC baseline"})
    'the constant-CAC baseline predicted the held-out months better than the response curves'
    """
    m = metrics
    if name == "segmentation":
        for base, block in (m.get("baseline") or {}).items():
            sil, db = block.get("silhouette"), block.get("davies_bouldin")
            if _num(sil) and _num(db) and _num(m.get("silhouette")) and _num(m.get("davies_bouldin")) \
                    and sil > m["silhouette"] and db < m["davies_bouldin"]:
                return (f"the baseline {base} separates customers better than the served segmentation on both "
                        f"scores (silhouette {sil:.3f} vs {m['silhouette']:.3f}, Davies–Bouldin {db:.3f} vs "
                        f"{m['davies_bouldin']:.3f}, lower is better); the served one was chosen for its "
                        "features, not its scores")
    if name == "recommendation":
        lift = m.get("ndcg_lift_over_popularity")
        if m.get("candidate") == "popularity" or kind == "popularity":
            return "no personalised recommender beat global popularity on the held-out purchases; popularity is served"
        if isinstance(lift, int | float) and _num(lift) and lift <= 0:
            return f"global popularity did as well as the served {kind} on the held-out purchases (NDCG {lift:+.0%})"
    if name == "positioning" and m.get("price", {}).get("beats_brand_mean") is False or (
            name == "positioning" and _num(m.get("price_r2")) and _num(m.get("price_r2_brand_mean"))
            and m["price_r2_brand_mean"] > m["price_r2"]):
        return (f"each brand's mean price predicts held-out prices better than the attribute model "
                f"(R² {m.get('price_r2_brand_mean', 0):.2f} vs {m.get('price_r2', 0):.2f})")
    if name == "forecast" and m.get("baseline_wins"):
        return (f"the seasonal-naive baseline beat the model on {m['baseline_wins']} of {m.get('series')} series; "
                "those series are forecast by the baseline")
    if name == "budget" and m.get("winner") == "constant CAC baseline":
        return "the constant-CAC baseline predicted the held-out months better than the response curves"
    if name == "clv" and m.get("loses_to"):
        served = "Pareto/NBD" if m.get("purchase_model") == "pareto_nbd" else "BG/NBD"
        return (f"a simple baseline beats {served} + Gamma-Gamma on the holdout's " + ", ".join(m["loses_to"])
                + "; use the CLV figures with care")
    return None


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value
