"""Training the clv model: calibrate, judge on the holdout against the baselines, refit on all the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .bgnbd import BgNbd
from .data import Periods, check_repeat_customers
from .evaluate import PREDICTORS, Holdout, calibration_table, group_rates, rfm_groups, scores
from .gammagamma import GammaGamma


@dataclass
class ClvTraining:
    """The calibration fit and its holdout result, the final fit on all data, and the periods."""

    periods: Periods
    calibration: tuple[BgNbd, GammaGamma]
    holdout: Holdout
    final: tuple[BgNbd, GammaGamma]
    customers: int
    horizon_days: int
    discount: float
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A short report for the command line."""
        from .report import training_lines

        return training_lines(self)


def calibrate_and_judge(summary: pd.DataFrame, p: Periods, groups: pd.Series | None) -> tuple[
        BgNbd, GammaGamma, Holdout]:
    """Fit both models on the calibration columns; predict the holdout; score them beside the baselines."""
    cal = summary[summary["frequency_cal"].notna()].reset_index(drop=True)
    check_repeat_customers(cal, "frequency_cal", f"calibration period to {p.calibration_end}")
    x, t_x, age = (cal[c].to_numpy(np.float64) for c in ("frequency_cal", "recency_cal_days", "age_cal_days"))
    m = cal["monetary_value_cal"].to_numpy(np.float64)
    bgnbd, spend = BgNbd.fit(x, t_x, age), GammaGamma.fit(x, m)
    frame = pd.DataFrame({"customer_id": cal["customer_id"], "frequency_cal": x, "age_cal_days": age,
                          "recency_cal_days": t_x,
                          "spend_per_day_cal": cal["revenue_cal"].to_numpy(np.float64) / (x + 1),
                          "actual_purchases": cal["frequency_holdout"].to_numpy(np.float64),
                          "actual_revenue": cal["revenue_holdout"].to_numpy(np.float64)})
    days = float(p.holdout_days)
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
    return bgnbd, spend, Holdout(frame, judged, calibration_table(frame), source)


def fit_final(summary: pd.DataFrame) -> tuple[BgNbd, GammaGamma]:
    """Both models on every customer's summary as of the analysis date."""
    check_repeat_customers(summary, "frequency", "whole period")
    x, t_x, age, m = (summary[c].to_numpy(np.float64) for c in ("frequency", "recency_days", "age_days",
                                                              "monetary_value"))
    return BgNbd.fit(x, t_x, age), GammaGamma.fit(x, m)


def params_of(bgnbd: BgNbd, spend: GammaGamma) -> dict[str, Any]:
    """Parameters, standard errors and log-likelihoods of a pair of fits."""
    assert bgnbd.fit_ is not None and spend.fit_ is not None
    return {**bgnbd.fit_.as_dict(), **spend.fit_.as_dict(), "bgnbd_loglik": bgnbd.fit_.loglik,
            "gamma_gamma_loglik": spend.fit_.loglik}
