"""The Keras sequence candidate scored in numpy (serving never imports TensorFlow).

The network (:mod:`.keras_candidate` trains it): each step of the purchase sequence is the product embedding, the
category embedding and the scaled days before the cutoff, read by a GRU (Keras' default cell: reset gate after the
recurrent matmul; a padded step keeps the state); the standardised customer features go through a ReLU layer; both
are concatenated, through one more ReLU layer, to one logit; Platt scaling (a, b) is folded in at the end.

Reasons are occlusion on the log-odds scale, as for trees: a feature set to its training mean (0 once
standardised), and ``purchase_sequence`` — the whole sequence left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .scoring import sigmoid

Steps = tuple[np.ndarray, np.ndarray, np.ndarray]  # product tokens, category tokens, scaled days (rows × steps)
WEIGHTS = ("product_embedding", "category_embedding", "gru_kernel", "gru_recurrent", "gru_bias", "features_kernel",
           "features_bias", "hidden_kernel", "hidden_bias", "out_kernel", "out_bias")
SEQUENCE_REASON = "purchase_sequence"


def _sig(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class SequenceNet:
    """The exported weights (float32, as Keras holds them; computed in float64 so that any batch of rows gives the
    same numbers), the feature scaler and the Platt (a, b)."""

    weights: dict[str, np.ndarray]
    mean: np.ndarray
    scale: np.ndarray
    a: float
    b: float

    @cached_property
    def w64(self) -> dict[str, np.ndarray]:
        """The weights as float64, and each product's and category's embedding already through the GRU's input
        kernel (so a step's input part is two table lookups, the days term and the bias)."""
        w = {k: np.asarray(v, dtype=np.float64) for k, v in self.weights.items()}
        products, categories = w["product_embedding"].shape[1], w["category_embedding"].shape[1]
        kernel = w["gru_kernel"]
        w["product_input"] = w["product_embedding"] @ kernel[:products]
        w["category_input"] = w["category_embedding"] @ kernel[products:products + categories]
        w["days_input"] = kernel[products + categories]
        return w

    def gru(self, steps: Steps) -> np.ndarray:
        """The GRU's last state per row (rows × units): a padded step (token 0) keeps the state, as Keras' mask."""
        w = self.w64
        tokens, cats, days = steps
        recurrent, bias = w["gru_recurrent"], w["gru_bias"]
        units = recurrent.shape[0]
        h = np.zeros((len(tokens), units))
        for t in range(tokens.shape[1]):
            live = tokens[:, t] > 0
            if not live.any():
                continue
            x = (w["product_input"][tokens[:, t]] + w["category_input"][cats[:, t]]
                 + days[:, t, None].astype(np.float64) * w["days_input"] + bias[0])
            inner = h @ recurrent + bias[1]
            z = _sig(x[:, :units] + inner[:, :units])
            r = _sig(x[:, units:2 * units] + inner[:, units:2 * units])
            candidate = np.tanh(x[:, 2 * units:] + r * inner[:, 2 * units:])
            h = np.where(live[:, None], z * h + (1 - z) * candidate, h)
        return h

    def raw(self, x: np.ndarray, steps: Steps) -> np.ndarray:
        """The network's logit before calibration (what ``model.predict`` gives, as a logit)."""
        w = self.w64
        standard = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale).astype(np.float32).astype(np.float64)
        features = np.maximum(standard @ w["features_kernel"] + w["features_bias"], 0)
        hidden = np.maximum(np.concatenate([self.gru(steps), features], axis=1) @ w["hidden_kernel"]
                            + w["hidden_bias"], 0)
        return (hidden @ w["out_kernel"] + w["out_bias"])[:, 0]

    def logit(self, x: np.ndarray, steps: Steps) -> np.ndarray:
        """The calibrated log-odds."""
        return self.a * self.raw(x, steps) + self.b

    def probability(self, x: np.ndarray, steps: Steps) -> np.ndarray:
        """The calibrated probability."""
        return sigmoid(self.logit(x, steps))

    def contributions(self, x: np.ndarray, steps: Steps) -> np.ndarray:
        """Occlusion, rows × (features + 1): each feature at its training mean, then the sequence left out."""
        x = np.asarray(x, dtype=np.float64)
        full = self.logit(x, steps)
        out = np.empty((x.shape[0], x.shape[1] + 1))
        for j in range(x.shape[1]):
            occluded = x.copy()
            occluded[:, j] = self.mean[j]
            out[:, j] = full - self.logit(occluded, steps)
        empty = tuple(np.zeros_like(s) for s in steps)
        out[:, -1] = full - self.logit(x, empty)  # type: ignore[arg-type]
        return out

    def reasons(self, x: np.ndarray, steps: Steps, names: tuple[str, ...], top: int = 3) -> list[list[str]]:
        """The ``top`` largest contributions by absolute value per row, as ``"feature +0.42"``."""
        contrib = self.contributions(x, steps)
        labels = (*names, SEQUENCE_REASON)
        order = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :top]
        return [[f"{labels[j]} {contrib[i, j]:+.2f}" for j in row] for i, row in enumerate(order)]


def net_of(params: dict, arrays: dict[str, np.ndarray], index: int) -> SequenceNet:
    """The scorer of target ``index`` from a stored version's params and arrays (``t{index}_<weight>``)."""
    p = params["targets"][index]
    weights = {name: arrays[f"t{index}_{name}"] for name in WEIGHTS}
    return SequenceNet(weights, np.asarray(p["mean"], float), np.asarray(p["scale"], float), float(p["a"]),
                       float(p["b"]))
