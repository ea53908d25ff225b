"""What ``marketsql train clv`` prints: the fits, the holdout against the baselines, the verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .evaluate import PREDICTORS

if TYPE_CHECKING:
    from .train import ClvTraining

LABELS_MODEL = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}
LABELS = {"model": "BG/NBD + Gamma-Gamma", "own_rate": "own rate (baseline)", "group_rate": "group rate (baseline)"}

def training_lines(t: ClvTraining) -> list[str]:
    """A short report for the command line."""
    p, (model, spend) = t.periods, t.final
    names = ("r", "alpha", "s", "beta") if t.purchase_model == "pareto_nbd" else ("r", "alpha", "a", "b")
    fitted = " ".join(f"{n}={v:.4g}" for n, v in zip(names, model.params, strict=True))
    out = [f"Calibration {p.first_purchase_day} … {p.calibration_end}, holdout {p.holdout_days} days to"
           f" {p.observation_end}; {t.customers:,} customers"]
    for name, c in t.candidates.items():
        out.append(f"  candidate {LABELS_MODEL[name]:<11} " + (f"did not converge: {c['error']}" if "error" in c else
                   f"holdout MAE {c['mae']:.4f}, total err {c['total_error_pct']:+.1f}%, log-lik {c['loglik']:.1f}"
                   + ("  <- served" if c["served"] else "")))
    out += [f"{LABELS_MODEL[t.purchase_model]}  {fitted}"
            f"   Gamma-Gamma  p={spend.p:.4g} q={spend.q:.4g} v={spend.v:.4g}  (all data)",
           f"Holdout ({len(t.holdout.frame):,} calibration customers; groups: {t.holdout.group_source}):",
           f"  {'predictor':<24} {'MAE':>7} {'total err':>10} {'Spearman':>9} {'top-10% capture':>16}"]
    for name in PREDICTORS:
        s = t.holdout.scores[name]
        label = f"{LABELS_MODEL[t.purchase_model]} + Gamma-Gamma" if name == "model" else LABELS[name]
        out.append(f"  {label:<24} {s['mae']:>7.3f} {s['total_error_pct']:>9.1f}% {s['spearman']:>9.3f}"
                   f" {s['top_decile_capture']:>15.1%}")
    losing = t.holdout.losing_to()
    out.append("The model beats both baselines on every score" if not losing
               else f"The model LOSES to a baseline on: {', '.join(losing)}")
    out += t.notes
    return out
