"""The Keras candidate: a two-tower recommender whose item tower uses product attributes.

- Customer tower: the customer's interaction weights over the catalogue, L2-normalised, dropped out
  (rate ``dropout``, the denoising of Mult-DAE, Liang et al. 2018) and mapped by ``Dense(dim, tanh)``.
- Product tower: a learned id embedding plus ``Dense(dim)`` of the product's attributes (brand,
  category, price, specs …), so a product nobody has bought yet still gets a meaningful vector.
- Score: customer · product + product bias; the loss is the multinomial log-likelihood of the
  customer's own (weight-normalised) interactions under a softmax over the whole catalogue — every
  other product is a negative, so no negative sampling is needed at catalogue sizes up to ~10^4.

Training is seeded (Python, numpy, TensorFlow) and deterministic on CPU. Only this module imports
TensorFlow; the result is exported as numpy arrays (``RecommendationModel`` scorer "embedding").
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from .baselines import common
from .data import Interactions
from .model import RecommendationModel

STEPS = 1500  # gradient steps aimed at when the number of epochs is not given
DENSE_LIMIT = 50_000_000  # inputs + targets as dense float32 arrays up to ~200 MB


@dataclass
class KerasSettings:
    """Hyper-parameters (fixed defaults, chosen on validation splits, never on a test split)."""

    dim: int = 128
    epochs: int | None = None  # None: about STEPS gradient steps, between 10 and 30 epochs
    batch_size: int = 256
    dropout: float = 0.5
    learning_rate: float = 2e-3
    l2: float = 1e-5
    seed: int = 0


@dataclass
class KerasResult:
    """The exported model and how training went."""

    model: RecommendationModel
    epoch_seconds: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


def normalised_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows scaled to unit L2 norm (the customer tower's input)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix, dtype=np.float32)


def train_two_tower(train: Interactions, settings: KerasSettings | None = None) -> KerasResult:
    """Fit the two-tower model on ``train`` and export it to numpy."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # no C++ start-up chatter on the terminal
    import keras  # TensorFlow is imported here, and only here
    import tensorflow as tf

    chosen = settings or KerasSettings()
    return _train(train, chosen, keras, tf)


def _train(train: Interactions, settings: KerasSettings, keras: Any, tf: Any) -> KerasResult:
    """The body of ``train_two_tower`` (TensorFlow already imported)."""
    keras.utils.set_random_seed(settings.seed)
    tf.config.experimental.enable_op_determinism()
    n_users, n_items = train.shape
    steps_per_epoch = math.ceil(n_users / settings.batch_size)
    epochs = settings.epochs or int(np.clip(round(STEPS / steps_per_epoch), 10, 30))
    attributes = train.attributes if train.attributes is not None and train.attributes.shape[1] else None
    inputs = customer_inputs(train)
    sums = np.asarray(train.matrix.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    targets = sparse.csr_matrix(sparse.diags(1.0 / sums) @ train.matrix, dtype=np.float32)

    class Batches(keras.utils.PyDataset):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.rng = np.random.default_rng(settings.seed)
            self.order = self.rng.permutation(n_users)

        def __len__(self) -> int:
            return math.ceil(n_users / settings.batch_size)

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            rows = self.order[index * settings.batch_size:(index + 1) * settings.batch_size]
            return inputs[rows].toarray(), targets[rows].toarray()

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(n_users)

    class ItemTower(keras.layers.Layer):  # type: ignore[misc,name-defined]
        """Scores of every product for a batch of customer vectors."""

        def build(self, input_shape: tuple[int, ...]) -> None:
            regular = keras.regularizers.L2(settings.l2)
            self.embedding = self.add_weight(shape=(n_items, settings.dim), initializer="glorot_uniform",
                                             regularizer=regular, name="item_embedding")
            self.bias = self.add_weight(shape=(n_items,), initializer="zeros", name="item_bias")
            if attributes is not None:
                self.attributes = keras.ops.convert_to_tensor(attributes)
                self.projection = self.add_weight(shape=(attributes.shape[1], settings.dim),
                                                  initializer="glorot_uniform", regularizer=regular,
                                                  name="attribute_projection")

        def item_vectors(self):  # noqa: ANN202 - a backend tensor
            vectors = self.embedding
            if attributes is not None:
                vectors = vectors + keras.ops.matmul(self.attributes, self.projection)
            return vectors

        def call(self, users):  # noqa: ANN001, ANN202
            return keras.ops.matmul(users, keras.ops.transpose(self.item_vectors())) + self.bias

    history = keras.Input(shape=(inputs.shape[1],), name="history")
    noisy = keras.layers.Dropout(settings.dropout, seed=settings.seed)(history)
    user_layer = keras.layers.Dense(settings.dim, activation="tanh", name="customer_tower",
                                    kernel_regularizer=keras.regularizers.L2(settings.l2))
    items = ItemTower(name="product_tower")
    logits = items(user_layer(noisy))
    model = keras.Model(history, logits)
    model.compile(optimizer=keras.optimizers.Adam(settings.learning_rate),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True), steps_per_execution=16)

    seconds: list[float] = []

    class Timer(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            seconds.append(time.perf_counter() - self.started)

    if inputs.shape[0] * (inputs.shape[1] + n_items) <= DENSE_LIMIT:  # small enough: let Keras slice arrays
        fitted = model.fit(inputs.toarray(), targets.toarray(), batch_size=settings.batch_size, shuffle=True,
                           epochs=epochs, verbose=0, callbacks=[Timer()])
    else:  # dense batches made from the sparse rows on the fly
        fitted = model.fit(Batches(), epochs=epochs, verbose=0, callbacks=[Timer()])
    kernel, bias = (np.asarray(w) for w in user_layer.get_weights())
    item_factors = np.asarray(keras.ops.convert_to_numpy(items.item_vectors()), dtype=np.float32)
    item_bias = np.asarray(keras.ops.convert_to_numpy(items.bias), dtype=np.float32)
    user_factors = customer_vectors(inputs, kernel, bias)
    exported = RecommendationModel("embedding", user_factors=user_factors, item_factors=item_factors,
                                   item_bias=item_bias, **common(train))
    return KerasResult(exported, seconds, [float(v) for v in fitted.history.get("loss", [])])


def customer_inputs(train: Interactions) -> sparse.csr_matrix:
    """The customer tower's input: L2-normalised interaction weights, then a one-hot of the customer's
    segment when there are segments (so the model can learn what each group buys)."""
    history = normalised_rows(train.matrix)
    if not train.segments:
        return history
    segments = sorted(set(train.segments.values()))
    index = {s: i for i, s in enumerate(segments)}
    rows = [(r, index[train.segments[c]]) for r, c in enumerate(train.customers) if c in train.segments]
    onehot = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), ([r for r, _ in rows], [j for _, j in rows])),
                               shape=(len(train.customers), len(segments)), dtype=np.float32)
    return sparse.hstack([history, onehot], format="csr", dtype=np.float32)


def customer_vectors(inputs: sparse.csr_matrix, kernel: np.ndarray, bias: np.ndarray,
                     batch: int = 4096) -> np.ndarray:
    """The customer tower in numpy (no dropout at inference): tanh(x @ kernel + bias)."""
    out = np.empty((inputs.shape[0], kernel.shape[1]), dtype=np.float32)
    for start in range(0, inputs.shape[0], batch):
        out[start:start + batch] = np.tanh(inputs[start:start + batch] @ kernel + bias)
    return out
