"""Train a customer segmentation on ``customer_features`` and compare it with the RFM baselines.

Pipeline (fitted with scikit-learn, exported as a numpy ``SegmentationModel``):

1. inputs: the ``FEATURES`` columns; rows with NaN/inf in any of them are dropped and counted;
2. ``log1p(max(x, 0))`` on every non-negative feature whose training skewness is > 1;
3. ``StandardScaler``;
4. feature selection: drop near-constant features (std after the log step ~ 0, or one value in > 95 %
   of rows), then, of every pair with |Pearson r| > 0.9 on the standardised data, drop the one that
   comes later in ``FEATURES`` order;
5. candidates: KMeans, MiniBatchKMeans and GaussianMixture (covariance "full") for each k in ``k_range``,
   scored by silhouette (on a sample), Davies-Bouldin, Calinski-Harabasz, BIC (gmm) and stability
   (mean adjusted Rand index between the candidate's labels and the labels of refits on 3 bootstrap
   resamples, each predicting the full data);
6. selection rule (``SELECTION_RULE``): among candidates with stability >= 0.8, the highest silhouette
   (rounded to 3 decimals), ties broken by the lower Davies-Bouldin; if no candidate is stable, the
   most stable one.

Baselines reported beside the chosen model, with the same silhouette sample and in the model's
standardised space: the classic RFM quintile segments (``rfm_scores``) and KMeans on the
standardised raw recency / frequency / monetary (no logs) with the chosen k.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from marketsql.errors import ModelError

from .model import FEATURES, MIN_CUSTOMERS, SegmentationModel

FIT_SIZE = 20_000  # candidates and their bootstrap refits are fitted on at most this many customers
FINALIST_MARGIN = 0.01  # candidates this close to the best screened silhouette are scored again…
FINALIST_SAMPLE = 10_000  # …on this many customers, so that sampling noise does not decide
SKEW_LOG = 1.0
NEAR_CONSTANT_SHARE = 0.95
MAX_CORRELATION = 0.9
MIN_STABILITY = 0.8
BOOTSTRAPS = 3
KMEANS_N_INIT = 3
GMM_N_INIT = 1
ALGORITHMS = ("kmeans", "minibatch_kmeans", "gmm")

SELECTION_RULE = (
    f"among candidates with stability >= {MIN_STABILITY} (mean adjusted Rand index vs {BOOTSTRAPS} bootstrap "
    "refits), maximise silhouette (rounded to 3 decimals), ties broken by lower Davies-Bouldin; "
    "if no candidate is stable, take the most stable"
)

# Feature sets tried, from the classic RFM core outwards; each keeps only features that survived the
# near-constant and correlation filters. "selected" = every surviving feature.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "rfm": ("recency_days", "frequency", "monetary"),
    "rfm+basket": ("recency_days", "frequency", "monetary", "avg_basket_value"),
    "rfm+basket+mix": ("recency_days", "frequency", "monetary", "avg_basket_value", "top_category_share"),
    "selected": FEATURES,
}

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


class TrainingError(ModelError):
    """The customer features cannot be segmented (too few rows, missing or empty columns...)."""


@dataclass
class TrainingResult:
    """Everything ``train_segmentation`` learned, with the evidence for its choices."""

    model: SegmentationModel
    labels: np.ndarray
    customer_ids: list[str]
    candidates: pd.DataFrame
    selection: str
    feature_report: list[dict]
    baseline: dict
    profiles: pd.DataFrame
    dropped_rows: int
    seconds: float
    estimator: Any = field(default=None, repr=False)
    """The chosen candidate as a fitted scikit-learn ``Pipeline`` (log -> scale -> select -> cluster)."""
    _fits: dict = field(default_factory=dict, repr=False)
    _feature_sets: dict = field(default_factory=dict, repr=False)
    _build: Any = field(default=None, repr=False)

    def candidate_model(
        self, algorithm: str, k: int, features: str | None = None
    ) -> tuple[SegmentationModel, Any]:
        """Any candidate as (SegmentationModel, fitted sklearn Pipeline); features = a FEATURE_SETS name
        (default: the chosen candidate's feature set)."""
        features = features or str(self.chosen()["features"])
        key = (features, algorithm, int(k))
        if key not in self._fits:
            raise KeyError(f"no candidate {algorithm} k={k} on {features}; see result.candidates")
        est, labels = self._fits[key]
        return self._build(algorithm, est, labels, list(self._feature_sets[features]))

    def chosen(self) -> dict:
        row = self.candidates[self.candidates["selected"]].iloc[0]
        return row.to_dict()

    def metrics(self) -> dict:
        """JSON-able numbers for the chosen model and the baselines."""
        row = self.chosen()
        return {
            "kind": self.model.kind,
            "algorithm": str(row["algorithm"]),
            "feature_set": str(row["features"]),
            "k": int(row["k"]),
            "silhouette": _num(row["silhouette"]),
            "davies_bouldin": _num(row["davies_bouldin"]),
            "calinski_harabasz": _num(row["calinski_harabasz"]),
            "bic": _num(row["bic"]),
            "stability": _num(row["stability"]),
            "customers": len(self.customer_ids),
            "dropped_rows": int(self.dropped_rows),
            "features_kept": list(self.model.kept),
            "seconds": round(float(self.seconds), 3),
            "baseline": {
                name: {key: _num(value) if isinstance(value, float) else value for key, value in block.items()}
                for name, block in self.baseline.items()
            },
        }


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# ---------------------------------------------------------------------------------------------------
# sklearn pipeline steps (module-level functions so the pipeline pickles)


def _log_columns(X: np.ndarray, columns: list[int]) -> np.ndarray:
    X = np.array(X, dtype=np.float64, copy=True)
    if columns:
        X[:, columns] = np.log1p(np.maximum(X[:, columns], 0.0))
    return X


def _take_columns(X: np.ndarray, columns: list[int]) -> np.ndarray:
    return np.ascontiguousarray(X[:, columns])


# ---------------------------------------------------------------------------------------------------
# input checks


def _feature_matrix(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(X of the clean rows, mask of clean rows, customer ids of all rows); raises TrainingError."""
    n = len(frame)
    if n < MIN_CUSTOMERS:
        raise TrainingError(
            f"customer_features has {n} customers; segmentation needs at least {MIN_CUSTOMERS} — build with more data"
        )
    missing = [f for f in FEATURES if f not in frame.columns]
    if missing:
        raise TrainingError(
            f"customer_features has no column {', '.join(missing)} — rebuild the project so customer_features "
            f"has all of {', '.join(FEATURES)}"
        )
    if "customer_id" not in frame.columns:
        raise TrainingError("customer_features has no column customer_id — select it with the features")
    columns = []
    for name in FEATURES:
        try:
            values = pd.to_numeric(frame[name], errors="raise")
        except (TypeError, ValueError) as exc:
            raise TrainingError(
                f"customer_features.{name} is not numeric ({exc}) — cast it to DOUBLE in the view"
            ) from None
        array = np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        if np.isnan(array).all():
            raise TrainingError(
                f"customer_features.{name} is NULL for all {n} customers — fix the view that computes it"
            )
        columns.append(array)
    X = np.column_stack(columns)
    clean: np.ndarray = np.asarray(np.isfinite(X).all(axis=1))
    if clean.sum() < MIN_CUSTOMERS:
        bad = [f for f, col in zip(FEATURES, columns, strict=True) if not np.isfinite(col).all()]
        raise TrainingError(
            f"customer_features has {int(clean.sum())} customers with finite values in every feature "
            f"({n - int(clean.sum())} have NaN/inf in {', '.join(bad)}); segmentation needs at least "
            f"{MIN_CUSTOMERS} — fix those columns or build with more data"
        )
    return X[clean], clean, frame["customer_id"]


def _skewness(x: np.ndarray) -> float:
    sd = x.std()
    if sd == 0:
        return 0.0
    return float(np.mean(((x - x.mean()) / sd) ** 3))


def _select_features(
    X: np.ndarray, Xlog: np.ndarray, Z: np.ndarray, log_flags: list[bool], skews: list[float], allowed: set[str]
) -> tuple[list[str], list[dict]]:
    """Near-constant and correlation filters; returns kept names and a report for every feature."""
    report: list[dict] = []
    alive: list[int] = []
    for j, name in enumerate(FEATURES):
        std = float(Xlog[:, j].std())
        _, counts = np.unique(X[:, j], return_counts=True)
        top_share = float(counts.max() / len(X))
        entry = {"feature": name, "log": log_flags[j], "skewness": round(skews[j], 3), "kept": True, "reason": ""}
        if name not in allowed:
            entry.update(kept=False, reason="excluded by the caller")
        elif std <= 1e-12 * max(1.0, abs(float(Xlog[:, j].mean()))):
            entry.update(kept=False, reason="constant")
        elif top_share > NEAR_CONSTANT_SHARE:
            entry.update(kept=False, reason=f"near-constant ({top_share:.1%} of customers share one value)")
        else:
            alive.append(j)
        report.append(entry)
    if not alive:
        if len(allowed) < len(FEATURES):
            raise TrainingError(
                f"every chosen feature ({', '.join(sorted(allowed))}) is constant or near-constant over "
                f"{len(X)} customers — choose other features"
            )
        raise TrainingError(
            f"every feature of customer_features is constant or near-constant over {len(X)} customers "
            f"({', '.join(FEATURES)}) — build with more varied data"
        )
    corr = np.corrcoef(Z[:, alive], rowvar=False) if len(alive) > 1 else np.ones((1, 1))
    kept: list[int] = []
    for a, j in enumerate(alive):
        best, best_r = None, 0.0
        for b, i in enumerate(alive[:a]):
            if i in kept and abs(corr[a, b]) > MAX_CORRELATION and abs(corr[a, b]) > abs(best_r):
                best, best_r = i, float(corr[a, b])
        if best is None:
            kept.append(j)
            report[j]["reason"] = "log1p, standardised" if log_flags[j] else "standardised"
        else:
            report[j].update(kept=False, reason=f"correlated with {FEATURES[best]} (r={best_r:.2f})")
    return [FEATURES[j] for j in kept], report


# ---------------------------------------------------------------------------------------------------
# candidates


def _make(algorithm: str, k: int, seed: int) -> Any:
    if algorithm == "kmeans":
        return KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=seed)
    if algorithm == "minibatch_kmeans":
        return MiniBatchKMeans(n_clusters=k, n_init=KMEANS_N_INIT, batch_size=1024, random_state=seed)
    return GaussianMixture(n_components=k, covariance_type="full", n_init=GMM_N_INIT, random_state=seed, reg_covar=1e-6)


def _internal_metrics(Z: np.ndarray, labels: np.ndarray, sample: np.ndarray) -> dict[str, float]:
    nan = float("nan")
    if len(np.unique(labels)) < 2:
        return {"silhouette": nan, "davies_bouldin": nan, "calinski_harabasz": nan}
    s = Z[sample]
    ls = labels[sample]
    sil = float(silhouette_score(s, ls)) if 1 < len(np.unique(ls)) < len(ls) else nan
    return {
        "silhouette": sil,
        "davies_bouldin": float(davies_bouldin_score(Z, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(Z, labels)),
    }


def _stability(algorithm: str, k: int, seed: int, Z: np.ndarray, labels: np.ndarray) -> float:
    rng = np.random.default_rng(seed + 1000 * k + ALGORITHMS.index(algorithm))
    scores = []
    for b in range(BOOTSTRAPS):
        idx = rng.integers(0, len(Z), len(Z))
        refit = _make(algorithm, k, seed + b + 1).fit(Z[idx])
        scores.append(adjusted_rand_score(labels, refit.predict(Z)))
    return float(np.mean(scores))


def _feature_sets(kept: list[str]) -> dict[str, tuple[str, ...]]:
    """FEATURE_SETS restricted to the surviving features; empty or duplicate sets are left out."""
    sets: dict[str, tuple[str, ...]] = {}
    for name, features in FEATURE_SETS.items():
        chosen = tuple(f for f in features if f in kept)
        if chosen and chosen not in sets.values():
            sets[name] = chosen
    return sets


def _select(candidates: pd.DataFrame, stability: Any, refined: Any) -> tuple[int, str]:
    """Index of the chosen candidate and a sentence saying why.

    Silhouettes are first measured on a small sample; those within FINALIST_MARGIN of the best are
    measured again on FINALIST_SAMPLE customers and that value replaces the first. Stability is
    costly (bootstrap refits), so it is measured in the order the rule would pick: best silhouette
    first, until a stable candidate is found — the same choice as measuring all of them.
    """
    ok = candidates[np.isfinite(candidates["silhouette"])]
    if ok.empty:
        ok = candidates
    else:
        finalists = ok.index[ok["silhouette"] >= ok["silhouette"].max() - FINALIST_MARGIN]
        for i in finalists:
            candidates.loc[i, "silhouette"] = refined(i)
        ok = candidates.loc[ok.index]
    order = ok.assign(_s=ok["silhouette"].round(3)).sort_values(
        ["_s", "davies_bouldin"], ascending=[False, True], kind="stable"
    )
    for i in order.index:
        candidates.loc[i, "stability"] = stability(i)
        if candidates.loc[i, "stability"] >= MIN_STABILITY:
            row = candidates.loc[i]
            why = (
                f"{row['algorithm']} k={row['k']} on {row['features']} features: highest silhouette"
                f" ({row['silhouette']:.3f}, Davies-Bouldin {row['davies_bouldin']:.3f}) of the stable candidates"
                f" (its stability {row['stability']:.3f}; {int(candidates['stability'].notna().sum())} of"
                f" {len(candidates)} candidates needed measuring)"
            )
            return int(i), f"Rule: {SELECTION_RULE}. Chosen: {why}."
    best = int(np.nanargmax(candidates["stability"].to_numpy(dtype=np.float64)))
    row = candidates.iloc[best].to_dict()
    why = (
        f"{row['algorithm']} k={row['k']} on {row['features']} features: no candidate reached stability"
        f" {MIN_STABILITY}; this is the most stable ({row['stability']:.3f}, silhouette {row['silhouette']:.3f})"
    )
    return best, f"Rule: {SELECTION_RULE}. Chosen: {why}."


# ---------------------------------------------------------------------------------------------------
# RFM baseline


def _quintile(values: pd.Series, high_is_5: bool) -> np.ndarray:
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
    r = _quintile(pd.to_numeric(frame["recency_days"]), high_is_5=False)
    f = _quintile(pd.to_numeric(frame["frequency"]), high_is_5=True)
    m = _quintile(pd.to_numeric(frame["monetary"]), high_is_5=True)
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


def _baseline(frame: pd.DataFrame, X: np.ndarray, Z: np.ndarray, sample: np.ndarray, k: int, seed: int) -> dict:
    scores = rfm_scores(frame)
    codes = pd.Categorical(scores["rfm_segment"], categories=list(RFM_SEGMENTS)).codes.astype(np.int64)
    rfm = _internal_metrics(Z, codes, sample)
    cols = [FEATURES.index(c) for c in ("recency_days", "frequency", "monetary")]
    raw = StandardScaler().fit_transform(X[:, cols])
    km = KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=seed).fit(raw)
    raw_model_space = _internal_metrics(Z, km.labels_, sample)
    raw_own_space = _internal_metrics(raw, km.labels_, sample)
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


# ---------------------------------------------------------------------------------------------------
# naming and profiles

NAME_THRESHOLD = 0.5


def segment_name(recency: float, frequency: float, monetary: float, basket: float, tenure: float) -> str:
    """A deterministic name from a segment's standardised means (0 = average customer, units = std).

    "high" means > +0.5 std, "low" < -0.5 std.  Recency high = lapsed; low recency and low tenure = new.
    """
    t = NAME_THRESHOLD
    big = monetary > t or basket > t
    if recency > t:
        if frequency < -t:
            return "Lapsed one-time"
        if big:
            return "Lapsed big spenders"
        if frequency > t:
            return "Lapsed regulars"
        return "Lapsed low-value"
    if recency < -t and tenure < -t:
        if big:
            return "New high spenders"
        if frequency < -t:
            return "Recent one-time"
        return "New customers"
    if frequency > t:
        if monetary > t and basket >= -t:
            return "High-value loyal"
        if basket < -t:
            return "Frequent small baskets"
        return "Loyal regulars"
    if frequency < -t:
        if big:
            return "One-time big spenders"
        if recency < -t:
            return "Recent one-time"
        return "One-time low-value"
    if big:
        return "Occasional big spenders"
    if basket < -t:
        return "Occasional small baskets"
    return "Average occasional"


def _unique_names(names: list[str], zmeans: np.ndarray) -> list[str]:
    """Disambiguate colliding names by the feature on which the colliding segments differ most."""
    out = list(names)
    for name in dict.fromkeys(names):
        group = [i for i, n in enumerate(names) if n == name]
        if len(group) < 2:
            continue
        spread = zmeans[group].max(axis=0) - zmeans[group].min(axis=0)
        j = int(np.argmax(spread))
        feature = FEATURES[j].replace("_", " ")
        ranked = sorted(group, key=lambda i: -zmeans[i, j])
        for rank, i in enumerate(ranked):
            if len(group) == 2:
                out[i] = f"{name} ({'higher' if rank == 0 else 'lower'} {feature})"
            else:
                out[i] = f"{name} ({feature} rank {rank + 1})"
    seen: dict[str, int] = {}
    for i, n in enumerate(out):  # belt and braces
        if n in seen:
            seen[n] += 1
            out[i] = f"{n} #{seen[n]}"
        else:
            seen[n] = 1
    return out


def _profiles(X: np.ndarray, Zall: np.ndarray, labels: np.ndarray, k: int, names: list[str]) -> pd.DataFrame:
    monetary = X[:, FEATURES.index("monetary")]
    total = float(monetary.sum())
    rows = []
    for s in range(k):
        mask = labels == s
        zmean = Zall[mask].mean(axis=0) if mask.any() else np.zeros(len(FEATURES))
        top = np.argsort(-np.abs(zmean), kind="stable")[:3]
        row: dict[str, Any] = {
            "segment": s,
            "name": names[s],
            "size": int(mask.sum()),
            "share_customers": float(mask.mean()),
            "share_revenue": float(monetary[mask].sum() / total) if total else float("nan"),
            "distinguishing": "; ".join(f"{FEATURES[j]} {zmean[j]:+.2f}" for j in top),
        }
        for j, f in enumerate(FEATURES):
            row[f"mean_{f}"] = float(X[mask, j].mean()) if mask.any() else float("nan")
            row[f"median_{f}"] = float(np.median(X[mask, j])) if mask.any() else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------


def train_segmentation(
    frame: pd.DataFrame,
    k_range: range = range(3, 9),
    seed: int = 0,
    sample_size: int = 3_000,
    *,
    features: Sequence[str] | None = None,
    fit_size: int = FIT_SIZE,
) -> TrainingResult:
    """Fit, compare and select a segmentation of ``customer_features`` (see the module docstring).

    Selection rule: among candidates with stability >= 0.8 (mean adjusted Rand index between the
    candidate's labels and 3 bootstrap refits predicting the full data), maximise the silhouette
    (rounded to 3 decimals), ties broken by the lower Davies-Bouldin index; if no candidate is
    stable, take the most stable one.  The rule and the reason for the pick are in ``selection``.

    ``features`` (optional) restricts the features the clustering may use (a subset of ``FEATURES``);
    the others are reported as "excluded by the caller".  Every ``FEATURES`` column is still required
    and still standardised, so the model's ``segment(...)`` signature does not change.

    Candidates and their stability refits are fitted on a random subset of at most ``fit_size``
    customers (all of them below that); every customer is then labelled by the fitted model.

    Rows are processed in ``customer_id`` order (so the result does not depend on the row order of
    ``frame``); ``labels`` and ``customer_ids`` come back in that order.
    """
    started = time.perf_counter()
    ks = [int(k) for k in k_range]
    if not ks or min(ks) < 2:
        raise TrainingError(f"k_range {k_range!r}: give cluster counts >= 2, e.g. range(3, 9)")
    allowed = list(FEATURES) if features is None else [str(f) for f in features]
    unknown = [f for f in allowed if f not in FEATURES]
    if unknown or not allowed:
        raise TrainingError(f"features {unknown or '[]'}: choose a non-empty subset of {', '.join(FEATURES)}")
    if "customer_id" in frame.columns:  # results must not depend on the order the database returned rows in
        frame = frame.sort_values("customer_id", kind="stable").reset_index(drop=True)
    X, clean, ids = _feature_matrix(frame)
    dropped = int((~clean).sum())
    n = len(X)
    kept_frame = frame.loc[clean] if dropped else frame
    ks = [k for k in ks if k < n]

    skews = [_skewness(X[:, j]) for j in range(len(FEATURES))]
    log_flags = [bool(X[:, j].min() >= 0 and skews[j] > SKEW_LOG) for j in range(len(FEATURES))]
    log_idx = [j for j, flag in enumerate(log_flags) if flag]
    preprocess = Pipeline(
        [
            ("log", FunctionTransformer(_log_columns, kw_args={"columns": log_idx})),
            ("scale", StandardScaler()),
        ]
    )
    Zall = preprocess.fit_transform(X)
    Xlog = preprocess.named_steps["log"].transform(X)
    kept, feature_report = _select_features(X, Xlog, Zall, log_flags, skews, set(allowed))

    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(n, sample_size), replace=False))
    fit_rows = np.sort(rng.choice(n, size=min(n, fit_size), replace=False))

    feature_sets = _feature_sets(kept)
    rows, fits = [], {}
    for set_name, set_features in feature_sets.items():
        Zs = Zall[:, [FEATURES.index(f) for f in set_features]]
        for algorithm in ALGORITHMS:
            for k in ks:
                est = _make(algorithm, k, seed).fit(Zs[fit_rows])
                labels = est.predict(Zs)
                rows.append({
                    "features": set_name,
                    "algorithm": algorithm,
                    "k": k,
                    **_internal_metrics(Zs, labels, sample),
                    "bic": float(est.bic(Zs[fit_rows])) if algorithm == "gmm" else float("nan"),
                    "stability": float("nan"),  # measured lazily, in selection order (see _select)
                    "selected": False,
                })
                fits[(set_name, algorithm, k)] = (est, labels)
    candidates = pd.DataFrame(rows)

    def candidate(i: int) -> tuple[str, int, np.ndarray, np.ndarray]:
        """(algorithm, k, its standardised data, its labels) of candidate row i."""
        row: dict[str, Any] = {str(key): value for key, value in candidates.loc[i].items()}
        Zs = Zall[:, [FEATURES.index(f) for f in feature_sets[str(row["features"])]]]
        key = (str(row["features"]), str(row["algorithm"]), int(row["k"]))
        return key[1], key[2], Zs, fits[key][1]

    def stability(i: int) -> float:
        algorithm, k, Zs, labels = candidate(i)
        return _stability(algorithm, k, seed, Zs[fit_rows], labels[fit_rows])

    final_sample = np.sort(rng.choice(n, size=min(n, FINALIST_SAMPLE), replace=False))

    def refined_silhouette(i: int) -> float:
        _, _, Zs, labels = candidate(i)
        return _internal_metrics(Zs, labels, final_sample)["silhouette"]

    best, selection = _select(candidates, stability, refined_silhouette)
    candidates.loc[best, "selected"] = True
    set_name = str(candidates.loc[best, "features"])
    algorithm = str(candidates.loc[best, "algorithm"])
    k = int(candidates["k"].iloc[best])
    est, labels = fits[(set_name, algorithm, k)]
    chosen_features = list(feature_sets[set_name])
    Z = Zall[:, [FEATURES.index(f) for f in chosen_features]]
    scaler = preprocess.named_steps["scale"]
    zcols = [FEATURES.index(f) for f in ("recency_days", "frequency", "monetary", "avg_basket_value", "tenure_days")]
    medians = np.median(X, axis=0)

    def build(
        algorithm: str, est: Any, labels: np.ndarray, kept: list[str] = chosen_features
    ) -> tuple[SegmentationModel, Pipeline]:
        select = FunctionTransformer(_take_columns, kw_args={"columns": [FEATURES.index(f) for f in kept]})
        kind = "gmm" if algorithm == "gmm" else "kmeans"
        means = est.means_ if kind == "gmm" else est.cluster_centers_
        k = len(means)
        zmeans = np.array(
            [Zall[labels == s].mean(axis=0) if (labels == s).any() else np.zeros(len(FEATURES)) for s in range(k)]
        )
        names = _unique_names([segment_name(*zmeans[s, zcols]) for s in range(k)], zmeans)
        model = SegmentationModel(
            features=list(FEATURES),
            log_features=[FEATURES[j] for j in log_idx],
            center=scaler.mean_.copy(),
            scale=scaler.scale_.copy(),
            kept=kept,
            kind=kind,
            means=means.copy(),
            precisions_cholesky=est.precisions_cholesky_.copy() if kind == "gmm" else None,
            weights=est.weights_.copy() if kind == "gmm" else None,
            names=names,
            medians=medians.copy(),
        )
        pipeline = Pipeline(
            [("log", preprocess.named_steps["log"]), ("scale", scaler), ("select", select), ("cluster", est)]
        )
        return model, pipeline

    model, estimator = build(algorithm, est, labels)
    names = model.names
    baseline = _baseline(kept_frame, X, Z, sample, k, seed)
    profiles = _profiles(X, Zall, labels, k, names)
    return TrainingResult(
        model=model,
        labels=np.asarray(labels, dtype=np.int64),
        customer_ids=[str(c) for c in ids[clean].tolist()],
        candidates=candidates,
        selection=selection,
        feature_report=feature_report,
        baseline=baseline,
        profiles=profiles,
        dropped_rows=dropped,
        seconds=time.perf_counter() - started,
        estimator=estimator,
        _fits=fits,
        _feature_sets=feature_sets,
        _build=build,
    )
