"""Uplift metrics on a held-out fold, numpy only: the Qini and uplift curves, their normalised areas (the Qini
coefficient and AUUC, as scikit-uplift defines them: the area between the model's curve and random targeting,
over the same area of the perfect ranking), uplift by decile and what the top N would bring.

``y`` is the binary outcome, ``score`` the ranking (higher = target first), ``treated`` 1 for the treatment arm
and 0 for control. Ties in ``score`` are one step of the curve, as in scikit-uplift.
"""

from __future__ import annotations

import numpy as np


def _steps(y: np.ndarray, score: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.argsort(score, kind="mergesort")[::-1]
    y, score, treated = (np.asarray(a, dtype=np.float64)[order] for a in (y, score, treated))
    cut = np.r_[np.where(np.diff(score))[0], score.size - 1]
    n_t = np.cumsum(treated)[cut]
    y_t = np.cumsum(y * treated)[cut]
    y_c = np.cumsum(y * (1 - treated))[cut]
    n = (cut + 1).astype(np.float64)
    return n, n_t, n - n_t, y_t, y_c


def _start_at_zero(x: np.ndarray, curve: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size == 0 or curve[0] != 0 or x[0] != 0:
        return np.r_[0.0, x], np.r_[0.0, curve]
    return x, curve


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


def qini_curve(y: np.ndarray, score: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Targeted customers (x) and incremental responders among them (treated responders minus control
    responders scaled to the treated count)."""
    n, n_t, n_c, y_t, y_c = _steps(y, score, treated)
    return _start_at_zero(n, y_t - y_c * _ratio(n_t, n_c))


def uplift_curve(y: np.ndarray, score: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Targeted customers (x) and (response rate treated − response rate control) × x among them."""
    n, n_t, n_c, y_t, y_c = _steps(y, score, treated)
    return _start_at_zero(n, (_ratio(y_t, n_t) - _ratio(y_c, n_c)) * n)


def _area(x: np.ndarray, curve: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (curve[1:] + curve[:-1]) / 2.0))


def _normalised(actual: tuple[np.ndarray, np.ndarray], perfect: tuple[np.ndarray, np.ndarray]) -> float:
    random = _area(np.array([0.0, perfect[0][-1]]), np.array([0.0, perfect[1][-1]]))
    best = _area(*perfect) - random
    return (_area(*actual) - random) / best if best else float("nan")


def qini_coefficient(y: np.ndarray, score: np.ndarray, treated: np.ndarray) -> float:
    """Area between the Qini curve and random targeting over that of the perfect ranking (negative effects
    included): 0 is random, 1 perfect."""
    y, treated = np.asarray(y, dtype=np.float64), np.asarray(treated, dtype=np.float64)
    perfect = qini_curve(y, y * treated - y * (1 - treated), treated)
    return _normalised(qini_curve(y, score, treated), perfect)


def auuc(y: np.ndarray, score: np.ndarray, treated: np.ndarray) -> float:
    """Area under the uplift curve, normalised like :func:`qini_coefficient`."""
    y, treated = np.asarray(y, dtype=np.float64), np.asarray(treated, dtype=np.float64)
    control_responders = np.sum((y == 1) & (treated == 0))
    treated_silent = np.sum((y == 0) & (treated == 1))
    perfect_score = 2 * (y == treated) + (y if control_responders > treated_silent else treated)
    return _normalised(uplift_curve(y, score, treated), uplift_curve(y, perfect_score, treated))


def by_decile(score: np.ndarray, treated: np.ndarray, outcomes: dict[str, np.ndarray],
              bins: int = 10) -> list[dict[str, float]]:
    """Deciles of the ranking (1 = highest score): customers, treated, control, and per outcome the mean among
    treated and control and their difference (the observed uplift)."""
    order = np.argsort(score, kind="mergesort")[::-1]
    rows: list[dict[str, float]] = []
    for decile, part in enumerate(np.array_split(order, bins), 1):
        t = treated[part] == 1
        row: dict[str, float] = {"decile": decile, "customers": len(part), "treated": int(t.sum()),
                                 "control": int((~t).sum()), "mean_score": float(np.mean(score[part]))}
        for name, values in outcomes.items():
            v = values[part]
            rate_t = float(v[t].mean()) if t.any() else float("nan")
            rate_c = float(v[~t].mean()) if (~t).any() else float("nan")
            row |= {f"{name}_treated": rate_t, f"{name}_control": rate_c, f"{name}_uplift": rate_t - rate_c}
        rows.append(row)
    return rows


def top_share(score: np.ndarray, treated: np.ndarray, outcomes: dict[str, np.ndarray],
              share: float) -> dict[str, float]:
    """Per outcome, the observed uplift per customer (treated mean − control mean) among the ``share`` of the
    fold ranked highest: multiplied by N it is the expected increment of targeting the top N."""
    order = np.argsort(score, kind="mergesort")[::-1][: max(1, int(round(share * len(score))))]
    t = treated[order] == 1
    out = {}
    for name, values in outcomes.items():
        v = values[order]
        out[name] = float(v[t].mean() - v[~t].mean()) if t.any() and (~t).any() else float("nan")
    return out
