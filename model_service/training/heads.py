"""Train classifier heads on cached features and choose one by the validation split.

Every candidate (shape and regularisation) is trained on the train split's features with early
stopping on the validation loss; the one with the best validation top-1 (then the lowest
validation loss) wins. The game split plays no part: it is scored once, after training.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from model_service.training.models import HeadSpec, add_head

CANDIDATES = (
    HeadSpec(hidden=0, dropout=0.0, l2=1e-4),
    HeadSpec(hidden=0, dropout=0.3, l2=1e-3),
    HeadSpec(hidden=0, dropout=0.5, l2=1e-2),
    HeadSpec(hidden=512, dropout=0.5, l2=1e-4),
)
HEAD_LEARNING_RATE = 3e-3  # on cars-60 as good as 1e-3 in half the epochs
HEAD_BATCH_SIZE = 64
HEAD_EPOCHS = 150  # an epoch on cached features takes milliseconds
HEAD_PATIENCE = 10
PREDICT_BATCH_SIZE = 256  # bounds the memory of a fine-tuned top's activations

Progress = Callable[[str], None]
Split = tuple[np.ndarray, np.ndarray]  # rows (features or maps) and their label indices


@dataclass
class HeadResult:
    """One trained candidate and how it did on the validation split."""

    spec: HeadSpec
    model: keras.Model
    validation_top1: float
    validation_loss: float
    epochs: int
    seconds: float
    best_epoch: int = 0  # the epoch whose weights were kept (0: the initial ones)

    def row(self) -> dict[str, Any]:
        """The candidate's line in the evaluation report."""
        return {
            **asdict(self.spec),
            # None, not NaN, without a validation split: evaluation.json stays strict JSON.
            "validation_top1": None if np.isnan(self.validation_top1) else self.validation_top1,
            "validation_loss": None if np.isnan(self.validation_loss) else self.validation_loss,
            "epochs": self.epochs,
            "best_epoch": self.best_epoch,
            "seconds": round(self.seconds, 1),
        }


def fit_head(
    spec: HeadSpec,
    train: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray] | None,
    num_classes: int,
    class_weight: dict[int, float],
    *,
    seed: int,
    epochs: int = HEAD_EPOCHS,
) -> HeadResult:
    """Train one head on feature rows and labels, keeping the epoch of least validation loss.

    A plain loop over one compiled step: `model.fit` spends ~0.2 s per epoch on bookkeeping,
    more than the arithmetic of a whole epoch on cached features."""
    keras.utils.set_random_seed(seed)
    started = time.monotonic()
    inputs = keras.Input((train[0].shape[1],), name="features")
    model = keras.Model(inputs, add_head(inputs, num_classes, spec), name="head")
    optimizer = keras.optimizers.Adam(HEAD_LEARNING_RATE)
    step = train_step(model, optimizer)
    weights = np.array([class_weight.get(int(label), 1.0) for label in train[1]], np.float32)
    generator = np.random.default_rng(seed)
    monitored = validation if validation is not None else train
    best_loss, best_weights, best_epoch, epoch = np.inf, model.get_weights(), 0, 0
    for epoch in range(1, epochs + 1):
        order = generator.permutation(len(train[1]))
        for start in range(0, len(order), HEAD_BATCH_SIZE):
            batch = order[start : start + HEAD_BATCH_SIZE]
            step(train[0][batch], train[1][batch], weights[batch])
        loss, _ = scores(model, monitored)
        if loss < best_loss:
            best_loss, best_weights, best_epoch = loss, model.get_weights(), epoch
        elif epoch - best_epoch >= HEAD_PATIENCE:
            break
    model.set_weights(best_weights)
    loss, top1 = scores(model, validation) if validation is not None else (np.nan, np.nan)
    return HeadResult(spec, model, top1, loss, epoch, time.monotonic() - started, best_epoch)


def train_step(
    model: keras.Model, optimizer: keras.optimizers.Optimizer
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], tf.Tensor]:
    """One compiled step: class-weighted cross-entropy plus the L2 penalties."""

    @tf.function(reduce_retracing=True)
    def step(rows: tf.Tensor, labels: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            probabilities = model(rows, training=True)
            losses = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
            loss = tf.reduce_sum(losses * weights) / tf.reduce_sum(weights)
            loss += tf.add_n(model.losses) if model.losses else 0.0
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    return step


def predict(model: keras.Model, rows: np.ndarray) -> np.ndarray:
    """The model's probabilities for float32 rows (features or maps), in batches."""
    return np.concatenate(
        [
            np.asarray(
                model(rows[start : start + PREDICT_BATCH_SIZE].astype(np.float32), training=False)
            )
            for start in range(0, len(rows), PREDICT_BATCH_SIZE)
        ]
    )


def scores(model: keras.Model, split: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
    """Mean cross-entropy and top-1 of the model on (rows, labels)."""
    probabilities = predict(model, split[0])
    picked = probabilities[np.arange(len(split[1])), split[1]]
    loss = float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0))))
    return loss, float(np.mean(np.argmax(probabilities, axis=1) == split[1]))


def select_head(
    train: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray] | None,
    num_classes: int,
    class_weight: dict[int, float],
    *,
    seed: int,
    progress: Progress,
    candidates: Sequence[HeadSpec] | None = None,
    epochs: int = HEAD_EPOCHS,
) -> tuple[HeadResult, list[HeadResult]]:
    """Train every candidate (default `CANDIDATES`); the best by validation top-1, then
    validation loss; and all of them."""
    candidates = CANDIDATES if candidates is None else candidates
    if validation is None:
        candidates = candidates[:1]  # nothing to choose by: the first, lightly regularised head
    results = []
    for number, spec in enumerate(candidates, start=1):
        result = fit_head(
            spec, train, validation, num_classes, class_weight, seed=seed, epochs=epochs
        )
        results.append(result)
        progress(
            f"head {number}/{len(candidates)} ({spec.describe()}): validation top-1 "
            f"{result.validation_top1:.1%}, loss {result.validation_loss:.3f}, "
            f"{result.epochs} epochs ({result.seconds:.1f} s)"
        )
    best = min(results, key=lambda result: (-result.validation_top1, result.validation_loss))
    if validation is None:
        best = results[0]
    progress(f"chosen head: {best.spec.describe()}")
    return best, results
