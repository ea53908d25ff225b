"""Training the clv model: calibrate, judge on the holdout against the baselines, refit on all the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from marketsql.errors import ModelError

from .bgnbd import BgNbd
from .data import Periods, check_repeat_customers
from .evaluate import PREDICTORS, Holdout, calibration_table, group_rates, rfm_groups, scores
from .gammagamma import GammaGamma
from .mbgnbd import MbgNbd
from .paretonbd import ParetoNbd

PurchaseModel = BgNbd | ParetoNbd
# The purchase-count candidates, judged on the calibration holdout (MAE per customer; BG/NBD on a tie)
CANDIDATES: dict[str, type[BgNbd] | type[ParetoNbd]] = {"bgnbd": BgNbd, "mbgnbd": MbgNbd, "pareto_nbd": ParetoNbd}
LABELS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}
# Pareto/NBD is served only when its holdout MAE is at least 1 % lower: BG/NBD's P(alive) compiles to SQL any client
# runs, and where there is no dropout to find (Online Retail's calibration) both reduce to the NBD, equal to 1e-9.
MARGIN = 0.01
# MBG/NBD costs what BG/NBD does and its P(alive) compiles to SQL as well: tried by default (it wins where many buy
# once and never return)
DEFAULT_CANDIDATES = ("bgnbd", "mbgnbd")


@dataclass
class ClvTraining:
    """The calibration fit and its holdout result, the final fit on all data, and the periods."""

    periods: Periods
    calibration: tuple[PurchaseModel, GammaGamma]
    holdout: Holdout
    final: tuple[PurchaseModel, GammaGamma]
    customers: int
    horizon_days: int
    discount: float
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def purchase_model(self) -> str:
        """The served purchase-count model: ``bgnbd``, ``mbgnbd`` or ``pareto_nbd``."""
        return served_name(self.final[0])

    def lines(self) -> list[str]:
        """A short report for the command line."""
        from .report import training_lines

        return training_lines(self)


def served_name(model: PurchaseModel) -> str:
    """``bgnbd``, ``mbgnbd`` or ``pareto_nbd``."""
    return "pareto_nbd" if isinstance(model, ParetoNbd) else "mbgnbd" if isinstance(model, MbgNbd) else "bgnbd"


def candidate_names(candidates: str | None) -> tuple[str, ...]:
    """The purchase-count candidates to try, from ``--candidates`` (comma-separated; default BG/NBD alone: the
    Pareto/NBD fit costs minutes where its ₂F₁ argument nears 1, e.g. on the 3,000-customer demo)."""
    if candidates is None:
        return DEFAULT_CANDIDATES
    names = tuple(dict.fromkeys(n.strip() for n in candidates.split(",") if n.strip()))
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown or not names:
        raise ModelError(f"--candidates {candidates}: clv knows {', '.join(CANDIDATES)} — give one or more,"
                         " comma-separated")
    return names


def _candidates(x: np.ndarray, t_x: np.ndarray, age: np.ndarray, days: float, actual: np.ndarray,
                names: tuple[str, ...]) -> tuple[PurchaseModel, dict[str, dict[str, Any]]]:
    """Fit every purchase-count candidate on the calibration period; the one with the lowest holdout MAE per customer
    (BG/NBD unless beaten by MARGIN; a candidate that does not converge is reported and skipped) and every candidate's
    figures."""
    fitted: dict[str, PurchaseModel] = {}
    report: dict[str, dict[str, Any]] = {}
    failures: list[ModelError] = []
    for name in names:
        try:
            model = CANDIDATES[name].fit(x, t_x, age)
        except ModelError as exc:
            failures.append(exc)
            report[name] = {"error": str(exc)}
            continue
        predicted = model.expected_purchases(days, x, t_x, age)
        assert model.fit_ is not None
        fitted[name] = model
        report[name] = {"mae": float(np.mean(np.abs(predicted - actual))), "loglik": model.fit_.loglik,
                        "total_error_pct": float(100 * (predicted.sum() - actual.sum()) / max(actual.sum(), 1e-12)),
                        **model.fit_.as_dict()}
    if not fitted:
        raise failures[0]
    best = min(fitted, key=lambda n: report[n]["mae"] * (1.0 if n == "bgnbd" else 1.0 + MARGIN))
    for name in report:
        report[name]["served"] = name == best
    return fitted[best], report


def calibrate_and_judge(summary: pd.DataFrame, p: Periods, groups: pd.Series | None,
                        names: tuple[str, ...] = tuple(CANDIDATES)) -> tuple[
        PurchaseModel, GammaGamma, Holdout, dict[str, dict[str, Any]]]:
    """Fit the candidates and Gamma-Gamma on the calibration columns; keep the purchase model with the lower holdout
    MAE; predict the holdout; score it beside the baselines."""
    cal = summary[summary["frequency_cal"].notna()].reset_index(drop=True)
    check_repeat_customers(cal, "frequency_cal", f"calibration period to {p.calibration_end}")
    x, t_x, age = (cal[c].to_numpy(np.float64) for c in ("frequency_cal", "recency_cal_days", "age_cal_days"))
    m = cal["monetary_value_cal"].to_numpy(np.float64)
    days = float(p.holdout_days)
    bgnbd, candidates = _candidates(x, t_x, age, days, cal["frequency_holdout"].to_numpy(np.float64), names)
    spend = GammaGamma.fit(x, m)
    frame = pd.DataFrame({"customer_id": cal["customer_id"], "frequency_cal": x, "age_cal_days": age,
                          "recency_cal_days": t_x,
                          "spend_per_day_cal": cal["revenue_cal"].to_numpy(np.float64) / (x + 1),
                          "actual_purchases": cal["frequency_holdout"].to_numpy(np.float64),
                          "actual_revenue": cal["revenue_holdout"].to_numpy(np.float64)})
    frame["model_purchases"] = bgnbd.expected_purchases(days, x, t_x, age)
    frame["model_revenue"] = frame["model_purchases"] * spend.expected_order_value(x, m)
    own = np.where(age > 0, x / np.where(age > 0, age, 1.0), 0.0) * days
    frame["own_rate_purchases"], frame["own_rate_revenue"] = own, own * frame["spend_per_day_cal"]
    source = "segment as of the calibration end" if groups is not None else "RFM group as of the calibration end"
    groups = rfm_groups(frame) if groups is None else frame["customer_id"].astype(str).map(groups).fillna(-1)
    frame["group_rate_purchases"], frame["group_rate_revenue"] = group_rates(frame, groups, days)
    judged = {name: scores(frame[f"{name}_purchases"].to_numpy(), frame["actual_purchases"].to_numpy(),
                           frame[f"{name}_revenue"].to_numpy(), frame["actual_revenue"].to_numpy())
              for name in PREDICTORS}
    return bgnbd, spend, Holdout(frame, judged, calibration_table(frame), source), candidates


def fit_final(summary: pd.DataFrame, purchase_model: str = "bgnbd") -> tuple[PurchaseModel, GammaGamma]:
    """The served purchase model and Gamma-Gamma on every customer's summary as of the analysis date."""
    check_repeat_customers(summary, "frequency", "whole period")
    x, t_x, age, m = (summary[c].to_numpy(np.float64) for c in ("frequency", "recency_days", "age_days",
                                                              "monetary_value"))
    return CANDIDATES[purchase_model].fit(x, t_x, age), GammaGamma.fit(x, m)


def params_of(model: PurchaseModel, spend: GammaGamma) -> dict[str, Any]:
    """Parameters, standard errors and log-likelihoods of a pair of fits, and which purchase model it is."""
    assert model.fit_ is not None and spend.fit_ is not None
    name = served_name(model)
    return {**model.fit_.as_dict(), **spend.fit_.as_dict(), "purchase_model": name, f"{name}_loglik": model.fit_.loglik,
            "gamma_gamma_loglik": spend.fit_.loglik}
