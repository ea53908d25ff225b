"""The statsforecast candidates (``marketsql train forecast --library statsforecast``): AutoETS, AutoARIMA and
AutoTheta of Nixtla's statsforecast, numba-compiled: 2.6–2.9× faster than the statsmodels candidates (once both are
warm) for the same accuracy on 12 public series (bench/forecast_libraries.py,
bench/forecast_selection.py).

An optional extra (``pip install 'marketsql[statsforecast]'``): statsforecast 2.1 requires pandas < 3, so
installing it moves pandas back to 2.x; the models are called on numpy arrays only and run under pandas 3 too.
Imported inside each candidate, so that nothing else pays for numba.
"""

from __future__ import annotations

import warnings

import numpy as np

from marketsql.errors import ModelError

from .methods import CANDIDATES as STATSMODELS
from .methods import MAX_HISTORY, SEASON, Forecast, Method

MODELS = ("AutoETS", "AutoARIMA", "AutoTheta")
LIBRARIES = ("statsmodels", "statsforecast")


def require() -> None:
    """Raise a ModelError saying how to install statsforecast when it is missing."""
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        raise ModelError("--library statsforecast: the package statsforecast is not installed — pip install"
                         " 'marketsql[statsforecast]' (it moves pandas to 2.x), or use --library statsmodels") from None


def _candidate(kind: str) -> Method:
    """A candidate made of statsforecast's ``kind``: seasonal (12) from two years of history, as the statsmodels
    seasonal forms; the last ten years at most; None where it cannot fit or forecasts a non-finite value."""

    def forecast(y: np.ndarray, horizon: int, level: float) -> Forecast | None:
        from statsforecast import models  # imported only when training with it

        y = np.asarray(y[-MAX_HISTORY:], dtype=np.float64)
        if len(y) < 4:
            return None
        percent = int(round(level * 100))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                made = getattr(models, kind)(season_length=SEASON if len(y) >= 2 * SEASON else 1).forecast(
                    y=y, h=horizon, level=[percent])
            except Exception:  # noqa: BLE001 — statsforecast raises bare Exceptions on series it cannot fit
                return None
        mean, lower, upper = (np.asarray(made[k], dtype=np.float64) for k in ("mean", f"lo-{percent}",
                                                                              f"hi-{percent}"))
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
            return None
        return Forecast(kind, mean, np.minimum(lower, mean), np.maximum(upper, mean))

    return forecast


CANDIDATES: dict[str, Method] = {kind: _candidate(kind) for kind in MODELS}


def candidates(library: str = "statsmodels") -> dict[str, Method]:
    """The candidates of ``library``: statsmodels' (:mod:`.methods`) or statsforecast's (these; installed or a
    ModelError saying how)."""
    if library == "statsforecast":
        require()
        return CANDIDATES
    return STATSMODELS
