"""The candidates of one target, fitted on the fit cutoffs, calibrated (Platt) on the validation cutoff and
exported to the numpy scorers of :mod:`.scoring` and :mod:`.network`: the baseline rule, logistic regression,
HistGradientBoosting and (on request: ``candidates="…,keras"``) the Keras sequence network.

scikit-learn and TensorFlow are imported inside the fitting functions only: serving never needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from marketsql.errors import ModelError

from .network import SequenceNet, Steps
from .scoring import Linear, Model, Trees
from .sequences import Vocabulary
from .targets import BASELINE_FEATURES, FEATURES

CANDIDATES = ("baseline", "logistic", "hgb", "keras")  # every candidate there is, in the order they are shown
DEFAULT = ("baseline", "logistic", "hgb")  # the Keras candidate is opt-in (TensorFlow's import alone costs 5-8 s)


def parse_candidates(candidates: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """``"logistic,keras"`` -> the candidates to fit, in :data:`CANDIDATES` order (the baseline always: a model is
    served only if it beats it); ModelError for a name that is not a candidate."""
    if candidates is None:
        return DEFAULT
    given = candidates.split(",") if isinstance(candidates, str) else list(candidates)
    names = {str(c).strip().lower() for c in given if str(c).strip()}
    unknown = sorted(names - set(CANDIDATES))
    if unknown:
        raise ModelError(f"--candidates: {', '.join(unknown)} is not a propensity candidate — give a comma-separated"
                         f" list of {', '.join(CANDIDATES)} (e.g. --candidates logistic,hgb,keras)")
    return tuple(c for c in CANDIDATES if c in names or c == "baseline")


@dataclass
class Fitted:
    """A candidate ready to serve: its scorer, its params/arrays to store and the seconds it took to fit."""

    name: str
    model: Model | SequenceNet
    params: dict[str, Any]
    arrays: dict[str, np.ndarray]
    seconds: float


def platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(a, b) of P = sigmoid(a · raw + b), fitted on the validation fold (unregularised logistic on one input)."""
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():  # one class only: keep the ranking, flat probability
        return 1e-6, float(np.log((y.mean() + 1e-3) / (1 - y.mean() + 1e-3)))
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def _linear(name: str, mean: np.ndarray, scale: np.ndarray, coef: np.ndarray, intercept: float,
            x_val: np.ndarray, y_val: np.ndarray, seconds: float) -> Fitted:
    raw = Linear(mean, scale, coef, intercept).logit(x_val)
    a, b = platt(raw, y_val)
    model = Linear(mean, scale, coef * a, intercept * a + b)
    params = {"shape": "linear", "mean": mean.tolist(), "scale": scale.tolist(), "coef": model.coef.tolist(),
              "intercept": model.intercept, "platt": [a, b]}
    return Fitted(name, model, params, {}, seconds)


def fit_baseline(x_val: np.ndarray, y_val: np.ndarray) -> Fitted:
    """"Bought it before" then recency: raw = target_bought + 1 / (1 + recency_days) (repeat: recency rank)."""
    coef = np.array([1.0 if f in BASELINE_FEATURES else 0.0 for f in FEATURES])
    n = len(FEATURES)
    return _linear("baseline", np.zeros(n), np.ones(n), coef, 0.0, x_val, y_val, 0.0)


def fit_logistic(x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, seed: int) -> Fitted:
    """Standardised features, L2 logistic regression (C = 1), then Platt on the validation fold."""
    import time

    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    fit = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit((x - mean) / scale, y)
    return _linear("logistic", mean, scale, fit.coef_[0].astype(float), float(fit.intercept_[0]), x_val, y_val,
                   time.perf_counter() - start)


def fit_hgb(x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, seed: int, index: int) -> Fitted:
    """HistGradientBoosting (150 trees of ≤ 15 leaves), exported node by node, then Platt on the validation fold."""
    import time

    from sklearn.ensemble import HistGradientBoostingClassifier

    start = time.perf_counter()
    fit = HistGradientBoostingClassifier(max_iter=150, max_leaf_nodes=15, learning_rate=0.1, early_stopping=False,
                                         random_state=seed).fit(x, y)
    seconds = time.perf_counter() - start
    arrays = export_trees(fit)
    base = float(np.ravel(fit._baseline_prediction)[0])
    mean = x.mean(axis=0)
    nodes = {k: arrays[k] for k in ("feature", "threshold", "left", "right", "leaf", "value", "roots")}
    unscaled = Trees(**nodes, base=base, a=1.0, b=0.0, mean=mean)
    a, b = platt(unscaled.raw(x_val), y_val)
    model = Trees(**nodes, base=base, a=a, b=b, mean=mean)
    params = {"shape": "trees", "base": base, "a": a, "b": b, "mean": mean.tolist(), "trees": len(arrays["roots"])}
    stored = {f"t{index}_{k}": v.astype(np.int64) if v.dtype.kind == "i" else v for k, v in arrays.items()}
    return Fitted("hgb", model, params, stored, seconds)


def export_trees(fit: Any) -> dict[str, np.ndarray]:
    """The fitted HistGradientBoostingClassifier's trees as flat node arrays (numerical splits only)."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("feature", "threshold", "left", "right", "leaf", "value")}
    roots, offset = [], 0
    for (tree,) in fit._predictors:
        nodes = tree.nodes
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not exported")
        roots.append(offset)
        parts["feature"].append(nodes["feature_idx"].astype(np.int32))
        parts["threshold"].append(nodes["num_threshold"].astype(np.float64))
        parts["left"].append((nodes["left"] + offset).astype(np.int32))
        parts["right"].append((nodes["right"] + offset).astype(np.int32))
        parts["leaf"].append(nodes["is_leaf"].astype(np.uint8))
        parts["value"].append(nodes["value"].astype(np.float64))
        offset += len(nodes)
    arrays = {k: np.concatenate(v) for k, v in parts.items()}
    arrays["leaf"] = arrays["leaf"].astype(bool)
    arrays["roots"] = np.asarray(roots, dtype=np.int32)
    return arrays


def fit_keras(x: np.ndarray, y: np.ndarray, steps: Steps, x_val: np.ndarray, y_val: np.ndarray, steps_val: Steps,
              vocabulary: Vocabulary, seed: int, index: int) -> Fitted:
    """The Keras sequence network (:mod:`.keras_candidate`), exported to numpy, then Platt on the validation fold."""
    from .keras_candidate import fit_network

    net, _, info = fit_network(x, y, steps, x_val, y_val, steps_val, len(vocabulary.products) + 2,
                               len(vocabulary.categories) + 2, seed)
    a, b = platt(net.raw(x_val, steps_val), y_val)
    model = SequenceNet(net.weights, net.mean, net.scale, a, b)
    params = {"shape": "sequence", "mean": net.mean.tolist(), "scale": net.scale.tolist(), "a": a, "b": b,
              "steps": int(steps[0].shape[1]), "products": list(vocabulary.products),
              "categories": list(vocabulary.categories), "epochs": info["epochs"], "best_epoch": info["best_epoch"]}
    arrays = {f"t{index}_{k}": v for k, v in net.weights.items()}
    return Fitted("keras", model, params, arrays, info["fit_seconds"])
