"""Making and scoring the candidate clusterings.

KMeans, MiniBatchKMeans and GaussianMixture (covariance "full") for each k, on each feature set, scored
by silhouette (on a sample), Davies-Bouldin, Calinski-Harabasz, BIC (gmm) and stability (mean adjusted
Rand index between the candidate's labels and the labels of refits on ``BOOTSTRAPS`` bootstrap
resamples, each predicting the full data).
"""

from __future__ import annotations

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

from .model import FEATURES

BOOTSTRAPS = 3
KMEANS_N_INIT = 3
GMM_N_INIT = 1
ALGORITHMS = ("kmeans", "minibatch_kmeans", "gmm")

Fits = dict[tuple[str, str, int], tuple[Any, np.ndarray]]
"""(feature set, algorithm, k) -> (fitted estimator, labels of every customer)."""


def make_estimator(algorithm: str, k: int, seed: int) -> Any:
    """An unfitted scikit-learn clusterer of one of ``ALGORITHMS``."""
    if algorithm == "kmeans":
        return KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=seed)
    if algorithm == "minibatch_kmeans":
        return MiniBatchKMeans(n_clusters=k, n_init=KMEANS_N_INIT, batch_size=1024, random_state=seed)
    return GaussianMixture(n_components=k, covariance_type="full", n_init=GMM_N_INIT, random_state=seed, reg_covar=1e-6)


def internal_metrics(Z: np.ndarray, labels: np.ndarray, sample: np.ndarray) -> dict[str, float]:
    """Silhouette (on ``sample``), Davies-Bouldin and Calinski-Harabasz; NaN for fewer than 2 clusters."""
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


def stability(algorithm: str, k: int, seed: int, Z: np.ndarray, labels: np.ndarray) -> float:
    """Mean adjusted Rand index between ``labels`` and ``BOOTSTRAPS`` refits on bootstrap resamples of ``Z``."""
    rng = np.random.default_rng(seed + 1000 * k + ALGORITHMS.index(algorithm))
    scores = []
    for b in range(BOOTSTRAPS):
        idx = rng.integers(0, len(Z), len(Z))
        refit = make_estimator(algorithm, k, seed + b + 1).fit(Z[idx])
        scores.append(adjusted_rand_score(labels, refit.predict(Z)))
    return float(np.mean(scores))


def fit_candidates(
    Zall: np.ndarray, sets: dict[str, tuple[str, ...]], ks: list[int], seed: int,
    fit_rows: np.ndarray, sample: np.ndarray,
) -> tuple[pd.DataFrame, Fits]:
    """Every (feature set, algorithm, k) fitted on ``fit_rows`` and labelling all rows; one scored row each.

    Stability is left NaN: it is costly and measured lazily, in selection order (see ``select.select``).
    """
    rows, fits = [], {}
    for set_name, set_features in sets.items():
        Zs = Zall[:, [FEATURES.index(f) for f in set_features]]
        for algorithm in ALGORITHMS:
            for k in ks:
                est = make_estimator(algorithm, k, seed).fit(Zs[fit_rows])
                labels = est.predict(Zs)
                rows.append({
                    "features": set_name,
                    "algorithm": algorithm,
                    "k": k,
                    **internal_metrics(Zs, labels, sample),
                    "bic": float(est.bic(Zs[fit_rows])) if algorithm == "gmm" else float("nan"),
                    "stability": float("nan"),
                    "selected": False,
                })
                fits[(set_name, algorithm, k)] = (est, labels)
    return pd.DataFrame(rows), fits
