"""Fit the response curves from ``channel_month`` and judge them on a time holdout against a baseline.

The holdout is the last ``holdout`` complete months: curves fitted on the months before predict the
new customers of those months from their spend, beside the baseline of a constant acquisition cost
(linear response, ``spend / CAC`` of the training months). Then every curve is refitted on all months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from marketsql.errors import ModelError

from .curves import BETA_RANGE, ChannelCurve, constant_cac, errors, fit_power

MIN_TRAIN_MONTHS = 6  # months with spend a channel needs before the holdout
MIN_NEW_CUSTOMERS = 10  # attributed new customers (all channels) before the holdout; fewer fit noise


@dataclass
class BudgetFit:
    """Curves per channel, their holdout against the baseline, and the channels left out (with why)."""

    curves: list[ChannelCurve]
    holdout_months: list[str]
    holdout: dict[str, np.ndarray]  # actual / curve / baseline: (channels, holdout months)
    metrics: dict[str, Any]
    excluded: dict[str, str] = field(default_factory=dict)
    current_month: str = ""
    current_spend: np.ndarray = field(default_factory=lambda: np.zeros(0))
    raw_beta: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def lines(self) -> list[str]:
        """A short report for the command line."""
        pooled = self.metrics["pooled"]
        out = [f"Holdout: the last {len(self.holdout_months)} complete months"
               f" ({self.holdout_months[0]} … {self.holdout_months[-1]}), new customers per channel and month:",
               f"  response curves  MAE {pooled['curve']['mae']:.2f}  MAPE {_pct(pooled['curve']['mape'])}",
               f"  constant CAC     MAE {pooled['baseline']['mae']:.2f}  MAPE {_pct(pooled['baseline']['mape'])}"
               f"  (baseline) -> {self.metrics['winner']} wins"]
        out.append("channel      alpha      beta  revenue/customer  observed monthly spend   holdout MAPE curve/CAC")
        for curve in self.curves:
            block = self.metrics["channels"][curve.channel]
            out.append(f"{curve.channel:<10} {curve.alpha:9.4g} {curve.beta:7.3f} {curve.value_per_customer:14,.2f}"
                       f"     {curve.min_spend:>10,.0f} – {curve.max_spend:<10,.0f}"
                       f"  {_pct(block['curve']['mape'])} / {_pct(block['baseline']['mape'])}")
        out += [f"excluded {channel}: {why}" for channel, why in self.excluded.items()]
        return out


def fit_budget(frame: pd.DataFrame, holdout: int = 6) -> BudgetFit:
    """Fit and evaluate from ``channel_month`` rows (channel, month, spend, new_customers, attributed_revenue,
    window_complete, partial_month)."""
    if holdout < 1:
        raise ModelError(f"--holdout {holdout}: give at least 1 month")
    frame = frame[~frame["partial_month"].astype(bool)]
    months = sorted(frame["month"].unique())
    if len(months) < holdout + MIN_TRAIN_MONTHS:
        raise ModelError(f"too little history for the budget model: {len(months)} complete month(s) of spend, need"
                         f" {holdout + MIN_TRAIN_MONTHS} ({MIN_TRAIN_MONTHS} to fit + {holdout} to test)"
                         " — load more months of marketing_spend or lower --holdout")
    test_months = months[-holdout:]
    acquired = int(frame.loc[~frame["month"].isin(test_months), "new_customers"].fillna(0).sum())
    if acquired < MIN_NEW_CUSTOMERS:
        raise ModelError(f"the budget model needs at least {MIN_NEW_CUSTOMERS} new customers attributed to a channel"
                         f" before the holdout; channel_month has {acquired} — load more order lines and customers"
                         " with their acquisition channel, and build")
    curves: list[ChannelCurve] = []
    excluded: dict[str, str] = {}
    rows: dict[str, list[np.ndarray]] = {"actual": [], "curve": [], "baseline": []}
    per_channel: dict[str, Any] = {}
    raw_beta, current = [], []
    for channel, group in frame.groupby("channel", sort=True):
        group = group.set_index("month").reindex(months)
        spend = group["spend"].fillna(0).to_numpy(np.float64)
        customers = group["new_customers"].fillna(0).to_numpy(np.float64)
        train = ~group.index.isin(test_months) & (spend > 0)
        if not (spend > 0).any():
            excluded[str(channel)] = "no spend in the data (acquisitions only): no curve, the allocation leaves it out"
            continue
        if train.sum() < MIN_TRAIN_MONTHS:
            excluded[str(channel)] = (f"spend in only {int(train.sum())} month(s) before the holdout, need"
                                      f" {MIN_TRAIN_MONTHS}: no curve, the allocation leaves it out")
            continue
        if len(np.unique(spend[train])) < 2:
            excluded[str(channel)] = (f"the same spend ({spend[train][0]:,.2f}) in every month before the holdout:"
                                      " a response curve needs months with different spend")
            continue
        test = group.index.isin(test_months)
        alpha_t, beta_t = fit_power(spend[train], customers[train])
        beta_t = float(np.clip(beta_t, *BETA_RANGE))
        cac = constant_cac(spend[train], customers[train])
        predicted = alpha_t * np.power(spend[test], beta_t)
        baseline = spend[test] / cac
        rows["actual"].append(customers[test])
        rows["curve"].append(predicted)
        rows["baseline"].append(baseline)
        per_channel[str(channel)] = {"curve": errors(customers[test], predicted),
                                     "baseline": errors(customers[test], baseline),
                                     "train_months": int(train.sum()), "cac_train": cac}
        fitted = spend > 0
        alpha, beta = fit_power(spend[fitted], customers[fitted])
        raw_beta.append(beta)
        complete = group["window_complete"].fillna(False).astype(bool).to_numpy() & (customers > 0)
        use = complete if complete.any() else customers > 0
        revenue = group["attributed_revenue"].fillna(0).to_numpy(np.float64)
        value = float(revenue[use].sum() / customers[use].sum()) if use.any() else 0.0
        curves.append(ChannelCurve(str(channel), alpha, float(np.clip(beta, *BETA_RANGE)), value,
                                   float(spend[fitted].min()), float(spend[fitted].max())))
        current.append(spend[-1])
    if not curves:
        reasons = "; ".join(f"{c}: {why}" for c, why in excluded.items()) or "no channel in channel_month"
        raise ModelError(f"no channel can be modelled ({reasons}) — load marketing_spend with spend per channel"
                         " that varies from month to month")
    holdout_arrays = {key: np.vstack(value) for key, value in rows.items()}
    pooled = {name: errors(holdout_arrays["actual"].ravel(), holdout_arrays[name].ravel())
              for name in ("curve", "baseline")}
    curve_mae, baseline_mae = float(pooled["curve"]["mae"] or 0), float(pooled["baseline"]["mae"] or 0)
    winner = "response curves" if curve_mae < baseline_mae else "constant CAC baseline"
    tested = [str(m)[:10] for m in test_months]
    metrics: dict[str, Any] = {"pooled": pooled, "winner": winner, "channels": per_channel,
               "holdout_months": tested, "months": len(months)}
    return BudgetFit(curves, tested, holdout_arrays, metrics, excluded,
                     str(months[-1])[:10], np.array(current, dtype=np.float64), np.array(raw_beta))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
