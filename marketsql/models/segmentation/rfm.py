"""The RFM baselines a segmentation is compared with.

Reported beside the chosen model, with the same silhouette sample and in the model's standardised
space: the classic RFM quintile segments (``rfm_scores``) and KMeans on the standardised raw
recency / frequency / monetary (no logs) with the chosen k.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from .candidates import KMEANS_N_INIT, internal_metrics
from .features import TrainingError
from .model import FEATURES

# Classic R x F segment grid (the widely used RFM segment map, e.g. Putler / "RFM analysis" notebooks):
# the key is the R score followed by the F score; first matching rule wins.  "Lost" is carved out of
# "Hibernating" for R = 1 and F = 1.
RFM_SEGMENT_RULES: tuple[tuple[str, str, str], ...] = (
    ("1", "1", "Lost"),
    ("12", "12", "Hibernating"),
    ("12", "34", "At risk"),
    ("12", "5", "Can't lose them"),
    ("3", "12", "About to sleep"),
    ("3", "3", "Need attention"),
    ("34", "45", "Loyal customers"),
    ("4", "1", "Promising"),
    ("5", "1", "New customers"),
    ("45", "23", "Potential loyalists"),
    ("5", "45", "Champions"),
)
"""(R scores, F scores, segment): the first rule matching (R, F) names it; every cell of 1..5 x 1..5 is covered."""

RFM_SEGMENTS = tuple(dict.fromkeys(name for _, _, name in RFM_SEGMENT_RULES))


def quintile(values: pd.Series, high_is_5: bool) -> np.ndarray:
    """Rank-based quintile score 1..5 (ties share the average rank, so equal values get equal scores)."""
    pct = values.rank(method="average", pct=True).to_numpy(dtype=np.float64)
    score = np.clip(np.ceil(pct * 5), 1, 5).astype(np.int64)
    return score if high_is_5 else 6 - score


def rfm_segment(r: int, f: int) -> str:
    """The named segment of an (R score, F score) pair, from ``RFM_SEGMENT_RULES``."""
    for rs, fs, name in RFM_SEGMENT_RULES:
        if str(r) in rs and str(f) in fs:
            return name
    raise ValueError(f"R={r}, F={f} outside 1..5")


def rfm_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """Classic RFM quintile scores: customer_id, r_score, f_score, m_score, rfm_segment.

    Scores are rank-based quintiles (percentile rank with ties averaged, ``ceil(5 * pct)``):
    R = 5 for the most recent fifth (lowest ``recency_days``), F = 5 for the highest ``frequency``,
    M = 5 for the highest ``monetary``.  ``rfm_segment`` comes from the R x F grid ``RFM_SEGMENT_RULES``.
    """
    for name in ("customer_id", "recency_days", "frequency", "monetary"):
        if name not in frame.columns:
            raise TrainingError(f"customer_features has no column {name} — RFM scores need it")
    r = quintile(pd.to_numeric(frame["recency_days"]), high_is_5=False)
    f = quintile(pd.to_numeric(frame["frequency"]), high_is_5=True)
    m = quintile(pd.to_numeric(frame["monetary"]), high_is_5=True)
    grid = {(a, b): rfm_segment(a, b) for a in range(1, 6) for b in range(1, 6)}
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"].to_numpy(),
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "rfm_segment": [grid[(a, b)] for a, b in zip(r, f, strict=True)],
        }
    )


def baselines(frame: pd.DataFrame, X: np.ndarray, Z: np.ndarray, sample: np.ndarray, k: int, seed: int) -> dict:
    """Metrics of the RFM quintile segments and of KMeans on raw RFM, in the model's standardised space ``Z``."""
    scores = rfm_scores(frame)
    codes = pd.Categorical(scores["rfm_segment"], categories=list(RFM_SEGMENTS)).codes.astype(np.int64)
    rfm = internal_metrics(Z, codes, sample)
    cols = [FEATURES.index(c) for c in ("recency_days", "frequency", "monetary")]
    raw = StandardScaler().fit_transform(X[:, cols])
    km = KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=seed).fit(raw)
    raw_model_space = internal_metrics(Z, km.labels_, sample)
    raw_own_space = internal_metrics(raw, km.labels_, sample)
    return {
        "rfm_quintiles": {
            "description": "classic RFM quintile segments (R x F grid), metrics in the model's standardised space",
            "segments": int(len(np.unique(codes))),
            "silhouette": rfm["silhouette"],
            "davies_bouldin": rfm["davies_bouldin"],
            "calinski_harabasz": rfm["calinski_harabasz"],
        },
        "kmeans_raw_rfm": {
            "description": f"KMeans (k={k}) on standardised raw recency/frequency/monetary (no logs), metrics in "
            "the model's standardised space; *_own_space = in the raw RFM space",
            "segments": int(k),
            "silhouette": raw_model_space["silhouette"],
            "davies_bouldin": raw_model_space["davies_bouldin"],
            "calinski_harabasz": raw_model_space["calinski_harabasz"],
            "silhouette_own_space": raw_own_space["silhouette"],
            "davies_bouldin_own_space": raw_own_space["davies_bouldin"],
        },
    }


def baseline_beats_model(silhouette: float | None, davies_bouldin: float | None, baseline: dict) -> str | None:
    """The baselines (comma-separated names) with a higher silhouette and a lower Davies-Bouldin than the
    model's, or None; missing or NaN metrics never win."""

    def finite(value: object) -> bool:
        return isinstance(value, (int, float)) and value == value and abs(value) != float("inf")

    if not (finite(silhouette) and finite(davies_bouldin)):
        return None
    winners = [
        name for name, block in baseline.items()
        if finite(block.get("silhouette")) and finite(block.get("davies_bouldin"))
        and block["silhouette"] > silhouette and block["davies_bouldin"] < davies_bouldin
    ]
    return ", ".join(winners) or None
