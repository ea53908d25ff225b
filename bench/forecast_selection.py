"""How the forecast model kind picks what it serves, measured: selection rules over rolling origins compared on
the 12 public series of bench/forecast.py (the last 12 months are the test, never seen by the rule).

    python bench/forecast_selection.py                       # statsmodels candidates (the model kind's)
    python bench/forecast_selection.py --library statsforecast
    python bench/forecast_selection.py --cache /tmp/sel.pkl  # keep the fits; a second run only re-scores
    python bench/forecast_selection.py --heldout --few --cache /tmp/held.pkl  # the held-out set (bench/forecast.py);
                                                     # --few: the 3 × 3 origins only (the trust-test rules)

Every candidate is fitted once per origin (a training length) and kept, so that each rule is scored on the same
fits: origins every 3 months up to 3 back, and every 12 months as far back as two years of training allow (at
most 8), plus the whole history (what is served). A rule sees only origins inside the history; the figure is
the served forecast's MASE on the test over seasonal naive's (the ratio; ≤ 1.05 on every series is the target,
≤ 0.85 on average). ``--heldout``: the same on the second set of bench/forecast.HELDOUT, fixed before any rule
was scored on it — a rule adopted from the 12 must not be worse there.

Besides the model kind's candidates (statsmodels), each series also gets ``Box-Cox ETS`` (additive ETS on the
Box-Cox transform, λ by maximum likelihood clipped to [0, 1]: between log ETS and ETS), used only by the rules
that name it.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from forecast import MIN_STRENGTH, heldout_series, public_series  # noqa: E402

from marketsql.models.forecast.methods import (  # noqa: E402
    CANDIDATES,
    LOG_FORMS,
    SEASON,
    Forecast,
    Method,
    baseline_forecast,
    ets_forecast,
)
from marketsql.models.forecast.model import mase_scale  # noqa: E402

TEST = 12
Fits = dict[int, dict[str, np.ndarray]]  # training length -> candidate -> 12-month point forecast
SECONDS = -1  # the key under which Fits keeps each candidate's seconds over all its fits
TRIED = -2  # … and the training lengths each candidate was tried at (it may not apply: no forecast kept)


def boxcox_ets_forecast(y: np.ndarray, horizon: int, level: float) -> Forecast | None:
    """Additive ETS on the Box-Cox transform of ``y`` (λ: maximum likelihood, clipped to [0, 1]), back-transformed
    (the median forecast); None unless every month is positive."""
    from scipy.special import inv_boxcox
    from scipy.stats import boxcox, boxcox_normmax

    if not np.all(y > 0):
        return None
    lam = float(np.clip(boxcox_normmax(y, method="mle"), 0, 1))
    fitted = ets_forecast(boxcox(y, lam), horizon, level, LOG_FORMS, prefix=f"Box-Cox({lam:.2f}) ")
    if fitted is None:
        return None
    back = [np.asarray(inv_boxcox(v, lam), dtype=np.float64) for v in (fitted.mean, fitted.lower, fitted.upper)]
    return None if not all(np.all(np.isfinite(v)) for v in back) else Forecast(fitted.method, *back)


EXTRA: dict[str, Method] = {"Box-Cox ETS": boxcox_ets_forecast}
SERVED = tuple(CANDIDATES)  # the members of the model kind's mean (statsmodels: ETS, log ETS, Theta, ARIMA)


def ends_of(length: int) -> list[int]:
    """Training lengths fitted for a history of ``length`` months: the origins and the whole history."""
    step3 = [length - TEST - 3 * k for k in range(3)]
    yearly = [length - TEST - 12 * k for k in range(8)]
    return sorted({e for e in step3 + yearly if e >= 2 * SEASON} | {length})


def fit_all(history: np.ndarray, table: dict[str, Method], fits: Fits | None = None, few: bool = False) -> Fits:
    """Every candidate's 12-month forecast from every training length of :func:`ends_of` (``few``: only the
    3 × 3 origins and the whole history, all the trust-test rules read); those ``fits`` already tried are kept."""
    fits = fits if fits is not None else {}
    seconds = fits.setdefault(SECONDS, {})
    known = {n for n in seconds if n in table}  # tried at every length stored (older caches have no TRIED)
    tried = fits.setdefault(TRIED, {n: np.array([e for e in fits if e >= 0], dtype=float) for n in known})
    lengths = [*origin_set(len(history), 3, 3), len(history)] if few else ends_of(len(history))
    for end in lengths:
        made = fits.setdefault(end, {})
        for name, method in table.items():
            if end in tried.get(name, ()):
                continue
            start = time.perf_counter()
            forecast = method(history[:end], TEST, 0.8)
            seconds[name] = seconds.get(name, np.zeros(1)) + time.perf_counter() - start
            tried[name] = np.append(tried.get(name, np.zeros(0)), end)
            if forecast is not None and np.all(np.isfinite(forecast.mean)):
                made[name] = np.maximum(forecast.mean, 0)
    return fits


def _mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - forecast))) / mase_scale(train)


def _members(made: dict[str, np.ndarray], names: tuple[str, ...] | None = None) -> list[np.ndarray]:
    """The forecasts of the candidates named (default: the served ones, :data:`SERVED`, or every one fitted but
    :data:`EXTRA` when none of those is — another library's cache)."""
    return [v for n, v in made.items() if n in (names or SERVED)] or (
        [] if names else [v for n, v in made.items() if n not in EXTRA])


def _model(made: dict[str, np.ndarray], names: tuple[str, ...] | None = None) -> np.ndarray | None:
    chosen = _members(made, names)
    return np.mean(chosen, axis=0) if chosen else None


def _scores(history: np.ndarray, fits: Fits, ends: list[int], member: Callable[[Fits, int], np.ndarray | None]
            ) -> tuple[list[float], list[float]]:
    """MASE of ``member`` and of seasonal naive at each origin of ``ends``."""
    model, base = [], []
    for end in ends:
        train, test = history[:end], history[end:end + TEST]
        made = member(fits, end)
        model.append(_mase(test, made, train) if made is not None else float("inf"))
        base.append(_mase(test, baseline_forecast(train, TEST, 0.8, True).mean, train))
    return model, base


def origin_set(length: int, step: int, count: int) -> list[int]:
    return sorted(e for e in (length - TEST - step * k for k in range(count)) if e >= 2 * SEASON)


def mean_member(fits: Fits, end: int) -> np.ndarray | None:
    return _model(fits[end])


def rule_every(step: int, count: int) -> Callable[[np.ndarray, Fits], np.ndarray]:
    """The mean of the candidates, served when it beats seasonal naive at every origin."""
    def rule(history: np.ndarray, fits: Fits) -> np.ndarray:
        model, base = _scores(history, fits, origin_set(len(history), step, count), mean_member)
        final = _model(fits[len(history)])
        wins = final is not None and all(m < b for m, b in zip(model, base, strict=True))
        return final if wins and final is not None else baseline_forecast(history, TEST, 0.8, True).mean
    return rule


def rule_mean(step: int, count: int) -> Callable[[np.ndarray, Fits], np.ndarray]:
    """The mean of the candidates, served when its mean MASE over the origins is lower than seasonal naive's."""
    def rule(history: np.ndarray, fits: Fits) -> np.ndarray:
        model, base = _scores(history, fits, origin_set(len(history), step, count), mean_member)
        final = _model(fits[len(history)])
        wins = final is not None and np.mean(model) < np.mean(base)
        return final if wins and final is not None else baseline_forecast(history, TEST, 0.8, True).mean
    return rule


def rule_both(history: np.ndarray, fits: Fits) -> np.ndarray:
    """Served when the mean of the candidates beats seasonal naive at every origin of both sets (3-month steps,
    3 origins; 12-month steps, as many as the history allows)."""
    final = _model(fits[len(history)])
    for step, count in ((3, 3), (12, 8)):
        model, base = _scores(history, fits, origin_set(len(history), step, count), mean_member)
        if final is None or not all(m < b for m, b in zip(model, base, strict=True)):
            return baseline_forecast(history, TEST, 0.8, True).mean
    return final


def rule_majority(step: int, count: int) -> Callable[[np.ndarray, Fits], np.ndarray]:
    """Served when the mean of the candidates beats seasonal naive at more than two thirds of the origins and on
    the mean MASE."""
    def rule(history: np.ndarray, fits: Fits) -> np.ndarray:
        model, base = _scores(history, fits, origin_set(len(history), step, count), mean_member)
        final = _model(fits[len(history)])
        wins = np.mean([m < b for m, b in zip(model, base, strict=True)]) > 2 / 3 and np.mean(model) < np.mean(base)
        return final if wins and final is not None else baseline_forecast(history, TEST, 0.8, True).mean
    return rule


def rule_weighted(step: int, count: int, power: float = 1.0) -> Callable[[np.ndarray, Fits], np.ndarray]:
    """Inverse-MASE weighted mean of the candidates' mean and seasonal naive (MASE: mean over the origins; the
    weights: its inverse to ``power``; ``step`` 0: the origins of both sets)."""
    def rule(history: np.ndarray, fits: Fits) -> np.ndarray:
        ends = (sorted(set(origin_set(len(history), 3, 3)) | set(origin_set(len(history), 12, 8))) if step == 0
                else origin_set(len(history), step, count))
        model, base = _scores(history, fits, ends, mean_member)
        final = _model(fits[len(history)])
        naive = baseline_forecast(history, TEST, 0.8, True).mean
        if final is None or not np.isfinite(np.mean(model)):
            return naive
        w_model, w_base = max(np.mean(model), 1e-9) ** -power, max(np.mean(base), 1e-9) ** -power
        return (w_model * final + w_base * naive) / (w_model + w_base)
    return rule


def rule_trusted(step: int, count: int) -> Callable[[np.ndarray, Fits], np.ndarray]:
    """The trust test first (the mean of the candidates beats seasonal naive at every origin of 3 × 3, else
    seasonal naive is served), then the inverse-MASE weighted mean of the two (weights from ``step`` × ``count``
    origins; ``step`` 0: both sets)."""
    weighted = rule_weighted(step, count)

    def rule(history: np.ndarray, fits: Fits) -> np.ndarray:
        model, base = _scores(history, fits, origin_set(len(history), 3, 3), mean_member)
        if fits[len(history)] and all(m < b for m, b in zip(model, base, strict=True)):
            return weighted(history, fits)
        return baseline_forecast(history, TEST, 0.8, True).mean
    return rule


def rule_with_naive(history: np.ndarray, fits: Fits) -> np.ndarray:
    """Seasonal naive as one more member of the mean; served when that mean wins at every origin (3 × 3)."""
    def member(f: Fits, end: int) -> np.ndarray | None:
        chosen = _members(f[end])
        return np.mean([*chosen, baseline_forecast(history[:end], TEST, 0.8, True).mean], axis=0) if chosen else None
    model, base = _scores(history, fits, origin_set(len(history), 3, 3), member)
    final = member(fits, len(history))
    wins = final is not None and all(m < b for m, b in zip(model, base, strict=True))
    return final if wins and final is not None else baseline_forecast(history, TEST, 0.8, True).mean


def trimmed_member(fits: Fits, end: int) -> np.ndarray | None:
    """The candidates' mean without each month's highest and lowest forecast (with 4 candidates: the median)."""
    chosen = _members(fits[end])
    if len(chosen) < 3:
        return _model(fits[end])
    ordered = np.sort(np.array(chosen), axis=0)
    return np.asarray(np.mean(ordered[1:-1], axis=0))


def boxcox_member(fits: Fits, end: int) -> np.ndarray | None:
    """The mean of the served candidates and Box-Cox ETS."""
    return _model(fits[end], (*SERVED, *EXTRA))


def inverse(power: float) -> Callable[[float, float], float]:
    """The model's weight from the mean MASEs (model, baseline): inverse MASE to ``power``."""
    def weight(model: float, base: float) -> float:
        w_model, w_base = max(model, 1e-9) ** -power, max(base, 1e-9) ** -power
        return w_model / (w_model + w_base)
    return weight


def shrunk(towards: float) -> Callable[[float, float], float]:
    """The inverse-MASE weight moved ``towards`` of the way to equal weights (0.5)."""
    return lambda model, base: (1 - towards) * inverse(1)(model, base) + towards * 0.5


def rule_trust_blend(member: Callable[[Fits, int], np.ndarray | None], weight: Callable[[float, float], float]
                     ) -> Callable[[np.ndarray, Fits], np.ndarray]:
    """The trust test on ``member`` (it beats seasonal naive at every origin of 3 × 3, else seasonal naive is
    served), then ``weight(mean MASE of member, of seasonal naive)`` × member + the rest × seasonal naive."""
    def rule(history: np.ndarray, fits: Fits) -> np.ndarray:
        model, base = _scores(history, fits, origin_set(len(history), 3, 3), member)
        final = member(fits, len(history))
        naive = baseline_forecast(history, TEST, 0.8, True).mean
        if final is None or not all(m < b for m, b in zip(model, base, strict=True)):
            return naive
        share = weight(float(np.mean(model)), float(np.mean(base)))
        return share * final + (1 - share) * naive
    return rule


RULES: dict[str, Callable[[np.ndarray, Fits], np.ndarray]] = {
    "every 3×3 (now)": rule_every(3, 3), "mean 3×3": rule_mean(3, 3), "every 12×8": rule_every(12, 8),
    "both": rule_both, "mean 12×8": rule_mean(12, 8), "2/3 of 12×8": rule_majority(12, 8),
    "weighted 3×3": rule_weighted(3, 3),
    "weighted 12×8": rule_weighted(12, 8), "weighted both": rule_weighted(0, 0), "w² 3×3": rule_weighted(3, 3, 2),
    "w² both": rule_weighted(0, 0, 2), "+snaive 3×3": rule_with_naive, "trust+w 3×3": rule_trusted(3, 3),
    "trust+w both": rule_trusted(0, 0),
    # principled changes to the served rule (trust test on 3 × 3, then a blend), scored on both sets
    "trust+equal": rule_trust_blend(mean_member, lambda m, b: 0.5),
    "trust+w²": rule_trust_blend(mean_member, inverse(2)),
    "trust+w½eq": rule_trust_blend(mean_member, shrunk(0.5)),
    "trim trust+w": rule_trust_blend(trimmed_member, inverse(1)),
    "trim trust+eq": rule_trust_blend(trimmed_member, lambda m, b: 0.5),
    "+BoxCox trust+w": rule_trust_blend(boxcox_member, inverse(1)),
    "+BoxCox tr+eq": rule_trust_blend(boxcox_member, lambda m, b: 0.5),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--library", choices=("statsmodels", "statsforecast"), default="statsmodels")
    parser.add_argument("--cache", type=Path, help="pickle of the fits: read when present, written as they are made")
    parser.add_argument("--cached-only", action="store_true", help="score the series already in --cache only")
    parser.add_argument("--few", action="store_true", help="fit the 3 × 3 origins only (the trust-test rules)")
    parser.add_argument("--heldout", action="store_true", help="the held-out set of bench/forecast.py instead")
    parser.add_argument("--merge", type=Path, help="another library's cache: score the union of the candidates")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.library == "statsforecast":
        from forecast_libraries import STATSFORECAST as table
    else:
        table = {**CANDIDATES, **EXTRA}
    print(f"load before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; candidates: {', '.join(table)}")
    cache: dict[str, Fits] = pickle.loads(args.cache.read_bytes()) if args.cache and args.cache.exists() else {}
    if args.merge:  # every candidate of both libraries, at the training lengths both fitted
        other: dict[str, Fits] = pickle.loads(args.merge.read_bytes())
        cache = {name: {end: {**made, **other[name][end]} for end, made in fits.items() if end in other[name]}
                 for name, fits in cache.items() if name in other}
        for fits in other.values():
            table.update({n: table.get(n, CANDIDATES["ETS"]) for n in fits[max(fits)]})  # names only: all fitted
    ratios: dict[str, list[float]] = {name: [] for name in RULES}
    print(f"{'series':<15} {'fits':>4} {'s':>6}" + "".join(f"{name:>16}" for name in RULES))
    if args.heldout:
        held = heldout_series(TEST)
        print("held out, not seasonal (strength < 0.5): "
              + ", ".join(f"{n} {s:.2f}" for n, _, s in held if s < MIN_STRENGTH))
        pool = [(n, y) for n, y, s in held if s >= MIN_STRENGTH]
    else:
        pool = public_series()
    series = [(name, y) for name, y in pool if name in cache or not args.cached_only]
    for name, y in series:
        history, test = y[:-TEST], y[-TEST:]
        start = time.perf_counter()
        cache[name] = fit_all(history, table, cache.get(name), args.few)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(cache))
        seconds = time.perf_counter() - start
        base = _mase(test, baseline_forecast(history, TEST, 0.8, True).mean, history)
        for rule, pick in RULES.items():
            try:
                ratios[rule].append(_mase(test, pick(history, cache[name]), history) / base)
            except KeyError:  # --few: a rule that reads yearly origins
                ratios[rule].append(float("nan"))
        print(f"{name[:15]:<15} {sum(e >= 0 for e in cache[name]):>4} {seconds:>6.1f}"
              + "".join(f"{ratios[r][-1]:>16.3f}" for r in RULES), flush=True)
    print(f"{'average':<27}" + "".join(f"{np.mean(ratios[r]):>16.3f}" for r in RULES))
    alone: dict[str, list[float]] = {n: [] for n in table}
    for name, y in series:
        history, test = y[:-TEST], y[-TEST:]
        base = _mase(test, baseline_forecast(history, TEST, 0.8, True).mean, history)
        for n in table:
            made = cache[name][len(history)].get(n)
            alone[n].append(_mase(test, made, history) / base if made is not None else float("nan"))
    seconds = {n: sum(float(cache[s].get(SECONDS, {}).get(n, np.array([np.nan]))[0]) for s in cache) for n in table}
    print("each candidate alone (fitted on the whole history): mean ratio "
          + ", ".join(f"{n} {np.nanmean(v):.3f} (worst {np.nanmax(v):.3f}; {seconds[n]:.0f} s for all fits)"
                      for n, v in alone.items()))
    print(f"{'worst':<27}" + "".join(f"{np.max(ratios[r]):>16.3f}" for r in RULES))
    print(f"{'baseline served':<27}" + "".join(f"{sum(abs(v - 1) < 1e-12 for v in ratios[r]):>16}" for r in RULES))
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
