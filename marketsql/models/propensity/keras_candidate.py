"""Fitting the Keras sequence candidate (TensorFlow is imported here, and only here) and exporting it to the numpy
:class:`.network.SequenceNet`.

Fitted on the fit cutoffs' rows, early-stopped on the validation cutoff's loss (best epoch restored), then
Platt-calibrated on the same validation cutoff like the other candidates. Seeded (Python, numpy, TensorFlow) with
deterministic ops, so a training repeats.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .network import WEIGHTS, SequenceNet, Steps


@dataclass
class KerasSettings:
    """Hyper-parameters (fixed defaults; nothing tuned on the evaluation cutoff)."""

    product_dim: int = 16
    category_dim: int = 8
    units: int = 16
    hidden: int = 16
    epochs: int = 40
    patience: int = 4
    batch_size: int = 256  # grown so that an epoch is at most ``max_steps`` batches (1 M rows: batches of 5,000)
    max_steps: int = 200
    learning_rate: float = 3e-3


def build(keras: Any, products: int, categories: int, features: int, steps: int, s: KerasSettings) -> Any:
    """The network: (standardised features, product tokens, category tokens, scaled days) -> one logit."""
    x = keras.Input((features,), name="features")
    tokens = keras.Input((steps,), dtype="int32", name="products")
    cats = keras.Input((steps,), dtype="int32", name="categories")
    days = keras.Input((steps,), name="days")
    step = keras.layers.Concatenate(name="steps")([
        keras.layers.Embedding(products, s.product_dim, name="product_embedding")(tokens),
        keras.layers.Embedding(categories, s.category_dim, name="category_embedding")(cats),
        keras.layers.Reshape((steps, 1))(days)])
    mask = keras.ops.greater(tokens, 0)
    state = keras.layers.GRU(s.units, name="gru")(step, mask=mask)
    dense = keras.layers.Dense(s.hidden, activation="relu", name="features_dense")(x)
    hidden = keras.layers.Dense(s.hidden, activation="relu", name="hidden")(
        keras.layers.Concatenate()([state, dense]))
    logit = keras.layers.Dense(1, name="out")(hidden)
    return keras.Model([x, tokens, cats, days], logit)


def export(model: Any) -> dict[str, np.ndarray]:
    """The layers' weights as float32 arrays named as :data:`.network.WEIGHTS`."""
    get = {layer.name: [np.asarray(w, dtype=np.float32) for w in layer.get_weights()] for layer in model.layers}
    values = [get["product_embedding"][0], get["category_embedding"][0], *get["gru"], *get["features_dense"],
              *get["hidden"], *get["out"]]
    return dict(zip(WEIGHTS, values, strict=True))


def fit_network(x: np.ndarray, y: np.ndarray, steps: Steps, x_val: np.ndarray, y_val: np.ndarray,
                steps_val: Steps, products: int, categories: int, seed: int,
                settings: KerasSettings | None = None) -> tuple[SequenceNet, Any, dict[str, Any]]:
    """Fit, early-stop, export; returns the uncalibrated scorer (a = 1, b = 0), the Keras model and how it went."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras  # TensorFlow is imported here, and only here
    import tensorflow as tf

    s = settings or KerasSettings()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)

    def inputs(features: np.ndarray, seq: Steps) -> list[np.ndarray]:
        return [((features - mean) / scale).astype(np.float32), *seq]

    model = build(keras, products, categories, x.shape[1], steps[0].shape[1], s)
    model.compile(optimizer=keras.optimizers.Adam(s.learning_rate),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=s.patience, restore_best_weights=True)
    batch = max(s.batch_size, math.ceil(len(x) / s.max_steps))
    start = time.perf_counter()
    history = model.fit(inputs(x, steps), y.astype(np.float32), validation_data=(inputs(x_val, steps_val),
                        y_val.astype(np.float32)), epochs=s.epochs, batch_size=batch, shuffle=True,
                        callbacks=[stop], verbose=0)
    seconds = time.perf_counter() - start
    net = SequenceNet(export(model), mean, scale, 1.0, 0.0)
    losses = history.history.get("val_loss", [])
    info = {"epochs": len(losses), "best_epoch": int(np.argmin(losses)) + 1 if losses else 0,
            "fit_seconds": seconds, "batch_size": batch}
    return net, model, info


def keras_logits(model: Any, x: np.ndarray, steps: Steps, net: SequenceNet) -> np.ndarray:
    """``model.predict`` on the same inputs the numpy scorer reads (for the parity test)."""
    standard = ((x - net.mean) / net.scale).astype(np.float32)
    return np.asarray(model.predict([standard, *steps], verbose=0, batch_size=1024))[:, 0].astype(np.float64)
