"""The portable fitted segmentation model: plain numpy arrays, no scikit-learn.

``SegmentationModel.predict`` is what runs inside DuckDB (an Arrow UDF over millions of rows), and
the same maths is compiled to SQL elsewhere, so it is kept deliberately simple:

1. ``x = log1p(max(x, 0))`` for each feature in ``log_features``;
2. ``z = (x - center) / scale`` for every feature, then keep the ``kept`` columns;
3. kmeans: the label is the index of the nearest row of ``means`` (squared Euclidean distance);
   gmm: the label is ``argmax_k  log(w_k) + sum(log(diag(P_k))) - 0.5 * ||(z - mu_k) @ P_k||^2``
   with ``P_k = precisions_cholesky[k]`` (scikit-learn's ``precisions_cholesky_``, covariance "full");
4. ties go to the lowest index; a row with NaN (or +-inf) in any kept input gets label -1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_CUSTOMERS = 50  # fewer customers than this cannot be segmented (checked before scikit-learn loads)
FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_basket_value",
    "avg_basket_lines",
    "total_quantity",
    "distinct_products",
    "distinct_categories",
    "return_rate",
    "top_category_share",
)
"""The fixed argument order of ``segment(...)``.  ``avg_interpurchase_days`` is left out on purpose:
it is NULL for every one-order customer."""

KINDS = ("kmeans", "gmm")


@dataclass
class SegmentationModel:
    """A fitted segmentation, scoring raw ``customer_features`` rows (columns in ``features`` order)."""

    features: list[str]
    log_features: list[str]
    center: np.ndarray
    scale: np.ndarray
    kept: list[str]
    kind: str
    means: np.ndarray
    precisions_cholesky: np.ndarray | None
    weights: np.ndarray | None
    names: list[str]
    medians: np.ndarray

    def __post_init__(self) -> None:
        self.features = [str(f) for f in self.features]
        self.log_features = [str(f) for f in self.log_features]
        self.kept = [str(f) for f in self.kept]
        self.names = [str(n) for n in self.names]
        self.center = np.asarray(self.center, dtype=np.float64)
        self.scale = np.asarray(self.scale, dtype=np.float64)
        self.means = np.asarray(self.means, dtype=np.float64)
        self.medians = np.asarray(self.medians, dtype=np.float64)
        n, k = len(self.features), self.means.shape[0]
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r}: use one of {KINDS}")
        unknown = [f for f in (*self.log_features, *self.kept) if f not in self.features]
        if unknown:
            raise ValueError(f"features {unknown} are not among the model's inputs {self.features}")
        if self.center.shape != (n,) or self.scale.shape != (n,) or self.medians.shape != (n,):
            raise ValueError(f"center, scale and medians must have shape ({n},)")
        if not np.all(self.scale > 0):
            raise ValueError("scale must be > 0 for every feature")
        if self.means.shape != (k, len(self.kept)):
            raise ValueError(f"means must have shape (k, {len(self.kept)}), got {self.means.shape}")
        if len(self.names) != k or len(set(self.names)) != k:
            raise ValueError(f"names must be {k} unique strings, got {self.names}")
        if self.kind == "gmm":
            if self.precisions_cholesky is None or self.weights is None:
                raise ValueError("a gmm model needs precisions_cholesky and weights")
            self.precisions_cholesky = np.asarray(self.precisions_cholesky, dtype=np.float64)
            self.weights = np.asarray(self.weights, dtype=np.float64)
            m = len(self.kept)
            if self.precisions_cholesky.shape != (k, m, m) or self.weights.shape != (k,):
                raise ValueError(f"gmm arrays must have shapes ({k}, {m}, {m}) and ({k},)")
        else:
            self.precisions_cholesky = None
            self.weights = None
        # Derived, read-only after construction (predict is called from several threads at once).
        self._kept_idx = np.array([self.features.index(f) for f in self.kept], dtype=np.int64)
        log_set = set(self.log_features)
        self._kept_log = np.array([f in log_set for f in self.kept], dtype=bool)
        if self.kind == "gmm":
            assert self.precisions_cholesky is not None and self.weights is not None
            self._prec: np.ndarray = self.precisions_cholesky
            diag = np.diagonal(self._prec, axis1=1, axis2=2)
            self._gmm_const = np.log(self.weights) + np.sum(np.log(diag), axis=1)

    @property
    def k(self) -> int:
        return int(self.means.shape[0])

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Raw inputs ``(n, n_features)`` in ``features`` order -> standardised kept columns ``(n, n_kept)``."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.features):
            raise ValueError(f"X must have shape (n, {len(self.features)}) in the order {self.features}")
        Z = X[:, self._kept_idx]  # a copy
        if self._kept_log.any():
            cols = np.flatnonzero(self._kept_log)
            Z[:, cols] = np.log1p(np.maximum(Z[:, cols], 0.0))
        Z -= self.center[self._kept_idx]
        Z /= self.scale[self._kept_idx]
        return Z

    def predict(self, X: np.ndarray) -> np.ndarray:
        """int64 labels ``0..k-1`` per row; ``-1`` for rows with NaN (or +-inf) in a kept input."""
        Z = self.transform(X)
        missing = ~np.isfinite(Z).all(axis=1)
        if missing.any():
            Z[missing] = 0.0
        scores = self.scores(Z)
        labels = np.argmax(scores, axis=1).astype(np.int64)  # first maximum -> lowest index on ties
        labels[missing] = -1
        return labels

    def scores(self, Z: np.ndarray) -> np.ndarray:
        """Per-segment scores ``(n, k)`` of standardised rows (higher is better)."""
        n, k = Z.shape[0], self.k
        out = np.empty((n, k), dtype=np.float64)
        if self.kind == "kmeans":
            for j in range(k):
                d = Z - self.means[j]
                out[:, j] = -np.einsum("ij,ij->i", d, d)
        else:
            for j in range(k):
                y = (Z - self.means[j]) @ self._prec[j]
                out[:, j] = self._gmm_const[j] - 0.5 * np.einsum("ij,ij->i", y, y)
        return out

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """Numeric arrays and JSON-able metadata; ``from_arrays`` rebuilds the same model."""
        arrays = {"center": self.center, "scale": self.scale, "means": self.means, "medians": self.medians}
        if self.kind == "gmm" and self.precisions_cholesky is not None and self.weights is not None:
            arrays["precisions_cholesky"] = self.precisions_cholesky
            arrays["weights"] = self.weights
        meta = {
            "kind": self.kind,
            "features": list(self.features),
            "log_features": list(self.log_features),
            "kept": list(self.kept),
            "names": list(self.names),
        }
        return {name: np.array(a, dtype=np.float64, copy=True) for name, a in arrays.items()}, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> SegmentationModel:
        gmm = meta["kind"] == "gmm"
        return cls(
            features=list(meta["features"]),
            log_features=list(meta["log_features"]),
            center=np.asarray(arrays["center"], dtype=np.float64),
            scale=np.asarray(arrays["scale"], dtype=np.float64),
            kept=list(meta["kept"]),
            kind=str(meta["kind"]),
            means=np.asarray(arrays["means"], dtype=np.float64),
            precisions_cholesky=np.asarray(arrays["precisions_cholesky"], dtype=np.float64) if gmm else None,
            weights=np.asarray(arrays["weights"], dtype=np.float64) if gmm else None,
            names=list(meta["names"]),
            medians=np.asarray(arrays["medians"], dtype=np.float64),
        )
