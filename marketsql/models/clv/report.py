"""What ``marketsql train clv`` prints: the fits, the holdout against the baselines, the verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .evaluate import PREDICTORS

if TYPE_CHECKING:
    from .train import ClvTraining

LABELS = {"model": "BG/NBD + Gamma-Gamma", "own_rate": "own rate (baseline)", "group_rate": "group rate (baseline)"}


def training_lines(t: ClvTraining) -> list[str]:
    """A short report for the command line."""
    p, (bgnbd, spend) = t.periods, t.final
    out = [f"Calibration {p.first_purchase_day} … {p.calibration_end}, holdout {p.holdout_days} days to"
           f" {p.observation_end}; {t.customers:,} customers",
           f"BG/NBD  r={bgnbd.r:.4g} alpha={bgnbd.alpha:.4g} a={bgnbd.a:.4g} b={bgnbd.b:.4g}"
           f"   Gamma-Gamma  p={spend.p:.4g} q={spend.q:.4g} v={spend.v:.4g}  (all data)",
           f"Holdout ({len(t.holdout.frame):,} calibration customers; groups: {t.holdout.group_source}):",
           f"  {'predictor':<24} {'MAE':>7} {'total err':>10} {'Spearman':>9} {'top-10% capture':>16}"]
    for name in PREDICTORS:
        s = t.holdout.scores[name]
        out.append(f"  {LABELS[name]:<24} {s['mae']:>7.3f} {s['total_error_pct']:>9.1f}% {s['spearman']:>9.3f}"
                   f" {s['top_decile_capture']:>15.1%}")
    losing = t.holdout.losing_to()
    out.append("The model beats both baselines on every score" if not losing
               else f"The model LOSES to a baseline on: {', '.join(losing)}")
    out += t.notes
    return out
