"""Readable lines about a trained positioning model (what ``marketsql train positioning`` prints)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketsql.models.registry import ModelRecord

if TYPE_CHECKING:
    from .train import TrainingResult


def training_lines(result: TrainingResult, record: ModelRecord) -> list[str]:
    """Holdout quality against the baselines, the map's axes and the strongest drivers."""
    model, metrics = result.model, result.metrics
    lines = [f"Registered positioning v{record.version} on {metrics['products']} {model.category} products,"
             f" {len(model.attributes)} attributes ({', '.join(model.attributes)})"]
    for target in ("price", "sales"):
        block = metrics.get(target)
        if not block:
            continue
        verdict = "beats" if block["beats_brand_mean"] else "LOSES TO"
        lines.append(f"  {target} model (holdout {block['n_test']} of {block['n_train'] + block['n_test']}): R² "
                     f"{block['model']['r2']:.3f}, median error {block['model']['median_abs_pct_error']:.1%}"
                     f" — {verdict}"
                     f" brand-mean baseline (R² {block['brand_mean']['r2']:.3f},"
                     f" {block['brand_mean']['median_abs_pct_error']:.1%}); overall mean R²"
                     f" {block['overall_mean']['r2']:.3f}")
    if metrics.get("price_candidates"):
        lines.append("  price candidates on the holdout (R² on price, not log price; MAE): " + ", ".join(
            f"{c['candidate']} {c['r2_price']:.3f} / {c['mae_price']:,.0f}" if "r2_price" in c
            else f"{c['candidate']} left out" for c in metrics["price_candidates"])
            + f"; best {metrics['price_best']}, served {metrics['price_served']} (SQL macros, map and Python)")
    if "band_coverage_holdout" in metrics.get("price", {}):
        lines.append(f"  80% price band covers {metrics['price']['band_coverage_holdout']:.0%} of holdout prices")
    for axis, share, loadings in zip("xy", model.explained, model.components):
        strongest = sorted(zip(model.attributes, loadings), key=lambda p: -abs(p[1]))[:3]
        lines.append(f"  map axis {axis} ({share:.0%} of variance): "
                     + ", ".join(f"{a} {w:+.2f}" for a, w in strongest))
    drivers = result.drivers.sort_values("importance_rank")
    for which, kind in drivers[["model", "term_type"]].drop_duplicates().itertuples(index=False):
        top = drivers[(drivers["model"] == which) & (drivers["term_type"] == kind)].head(5)
        per = "vs the average brand" if kind == "brand" else "per standard deviation"
        lines.append(f"  {which} drivers, {kind} ({per}): "
                     + ", ".join(f"{term} {effect:+.0f}%" for term, effect in zip(top["term"], top["effect_pct"])))
    lines += [f"  note: {n}" for n in result.notes]
    return lines
