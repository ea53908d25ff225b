"""Scoring a stored propensity model with numpy only (no scikit-learn, nothing unpickled).

Two shapes cover every candidate: :class:`Linear` (the logistic regression with its scaler, and the baseline rule)
and :class:`Trees` (HistGradientBoosting exported node by node). Both already include the Platt calibration, so
``probability`` is the served number. Reasons are contributions on the log-odds scale: coefficient × standardised
value for :class:`Linear`; for :class:`Trees`, occlusion — the score minus the score with that one feature set to
its training mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

CLAMP = 700.0  # exp() stays finite in numpy and SQL alike


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), with z clamped to ±700 exactly as the SQL macros do."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -CLAMP, CLAMP)))


@dataclass(frozen=True)
class Linear:
    """log-odds = intercept + Σ coef · (x − mean) / scale (Platt scaling folded in)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's term of the log-odds, rows × features."""
        return self.coef * (x - self.mean) / self.scale

    def logit(self, x: np.ndarray) -> np.ndarray:
        """The calibrated log-odds."""
        return self.intercept + self.contributions(x).sum(axis=1)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """The calibrated probability."""
        return sigmoid(self.logit(x))


@dataclass(frozen=True)
class Trees:
    """Gradient-boosted trees as flat node arrays (every tree's nodes one after another, ``roots`` their first
    node): go left when ``x[feature] <= threshold``; raw score = ``base`` + Σ leaf values; log-odds = a · raw + b."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    base: float
    a: float
    b: float
    mean: np.ndarray  # training means, for occlusion reasons

    @cached_property
    def walk(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int]]:
        """What :meth:`raw` walks: per node its feature and threshold (a leaf: +inf, so it stays put), its two
        children side by side (a leaf: itself twice), the roots deepest tree first, and per level how many trees
        are still that deep."""
        leaf = np.asarray(self.leaf, dtype=bool)
        itself = np.arange(len(leaf))
        feature = np.where(leaf, 0, self.feature).astype(np.intp)
        threshold = np.where(leaf, np.inf, self.threshold).astype(np.float64)
        children = np.stack([np.where(leaf, itself, self.left), np.where(leaf, itself, self.right)],
                            axis=1).ravel().astype(np.intp)
        depths = np.array([_depth(int(root), leaf, self.left, self.right) for root in self.roots], dtype=np.int64)
        order = np.argsort(-depths, kind="stable")
        active = [int((depths > level).sum()) for level in range(int(depths.max(initial=0)))]
        return feature, threshold, children, np.asarray(self.roots, dtype=np.intp)[order], active

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The uncalibrated boosting score of each row: every tree walked at once, one level per step, only the trees
        still that deep (trees × rows of node numbers; no Python loop over rows or trees)."""
        feature, threshold, children, roots, active = self.walk
        x = np.nan_to_num(np.asarray(x, dtype=np.float64))
        n = len(x)
        flat = np.ascontiguousarray(x.T).ravel()  # feature j of row i at j * n + i
        rows = np.arange(n, dtype=np.intp)
        node = np.repeat(roots[:, None], n, axis=1)
        for deep in active:
            at = node[:deep]
            right = flat.take(feature.take(at) * n + rows) > threshold.take(at)
            node[:deep] = children.take(at * 2 + right)
        return self.base + self.value.take(node).sum(axis=0)

    def logit(self, x: np.ndarray) -> np.ndarray:
        """The calibrated log-odds."""
        return self.a * self.raw(x) + self.b

    def probability(self, x: np.ndarray) -> np.ndarray:
        """The calibrated probability."""
        return sigmoid(self.logit(x))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Occlusion: log-odds minus the log-odds with one feature replaced by its training mean, rows × features."""
        x = np.asarray(x, dtype=np.float64)
        full = self.logit(x)
        out = np.empty_like(x)
        for j in range(x.shape[1]):
            occluded = x.copy()
            occluded[:, j] = self.mean[j]
            out[:, j] = full - self.logit(occluded)
        return out


Model = Linear | Trees


def _depth(root: int, leaf: np.ndarray, left: np.ndarray, right: np.ndarray) -> int:
    """The longest root-to-leaf path of one tree, in splits."""
    deepest, stack = 0, [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if leaf[node]:
            deepest = max(deepest, depth)
        else:
            stack += [(int(left[node]), depth + 1), (int(right[node]), depth + 1)]
    return deepest


def reasons(model: Model, x: np.ndarray, names: tuple[str, ...], top: int = 3) -> list[list[str]]:
    """The ``top`` largest contributions by absolute value per row, as ``"feature +0.42"``."""
    contrib = model.contributions(x)
    order = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :top]
    return [[f"{names[j]} {contrib[i, j]:+.2f}" for j in row] for i, row in enumerate(order)]


def model_of(params: dict, arrays: dict[str, np.ndarray], index: int) -> Model:
    """The scorer of target ``index`` from a stored version's params (per target) and arrays."""
    p = params["targets"][index]
    if p["shape"] == "linear":
        return Linear(np.asarray(p["mean"], float), np.asarray(p["scale"], float), np.asarray(p["coef"], float),
                      float(p["intercept"]))
    key = f"t{index}_"
    return Trees(arrays[key + "feature"].astype(np.int64), arrays[key + "threshold"], arrays[key + "left"].astype(
        np.int64), arrays[key + "right"].astype(np.int64), arrays[key + "leaf"].astype(bool), arrays[key + "value"],
        arrays[key + "roots"].astype(np.int64), float(p["base"]), float(p["a"]), float(p["b"]),
        np.asarray(p["mean"], float))
