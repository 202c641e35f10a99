"""Fine-tune a pretrained backbone's top blocks and the head on cached intermediate maps.

The frozen bottom of the backbone gives the same maps for a photo and view every epoch, so it runs
once (`features.extract_outputs`, cached as float16) and each epoch runs only the top blocks: the
layers from the backbone spec's `fine_tune_from` on, and the head chosen on the frozen features,
which starts from its trained weights. BatchNorm stays frozen and in inference mode (its moving
statistics are ImageNet's; a few thousand car photos would only unsettle them). The top is a view
on the full model's own layers (`models.split_at`), so the exported model carries the fine-tuned
weights with no copying. They are kept only if they beat the frozen head on validation.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import keras
import numpy as np

from model_service.training import heads, models

LEARNING_RATE = 1e-4  # Adam; low, so the pretrained blocks move gently (the scratch experiment)
EPOCHS = 30  # at most; early stopping on the validation loss usually ends sooner
PATIENCE = 5  # epochs without a lower validation loss before stopping
BATCH_SIZE = 32
# The chosen head already fits the train split's features almost perfectly (cars-60: train loss
# 0.1), which leaves the top blocks little to learn from: dropout on the pooled features keeps the
# loss informative. On cars-60 validation top-1 went from 80.0 % without it (below the frozen
# head's 82.2 %) to 87.7 % (bench/README.md, Training; label smoothing on top: 87.0 %).
HEAD_DROPOUT = 0.5  # at least this much dropout before the head while fine-tuning

Progress = Callable[[str], None]


@dataclass
class FineTuneResult:
    """What fine-tuning did, for the evaluation report."""

    cut_layer: str
    layers: int  # layers trained (BatchNorm not counted: it stays frozen)
    validation_top1_before: float  # the frozen head on the same maps
    validation_loss_before: float
    validation_top1_after: float  # the fine-tuned model at its best epoch
    validation_loss_after: float
    epochs: int
    best_epoch: int  # 0: no epoch lowered the validation loss
    seconds: float
    kept: bool  # False: the frozen weights were put back
    head_dropout: float

    def row(self) -> dict[str, Any]:
        """The evaluation report's `fine_tuning` entry."""
        return {**asdict(self), "seconds": round(self.seconds, 1)}


def fine_tune(
    model: keras.Model,
    cut_layer: str,
    train: heads.Split,
    validation: heads.Split,
    class_weight: dict[int, float],
    *,
    seed: int,
    progress: Progress,
    epochs: int | None = None,
) -> FineTuneResult:
    """Train the layers of `model` from `cut_layer` on (in place) on maps of the train split,
    early-stopped on the validation loss with the best epoch's weights restored; the frozen
    weights come back unless validation top-1 (then loss) improved."""
    epochs = EPOCHS if epochs is None else epochs
    keras.utils.set_random_seed(seed)
    started = time.monotonic()
    with _unfrozen_top(model, cut_layer) as (top, unfrozen):
        frozen_weights = [layer.get_weights() for layer in unfrozen]
        before = heads.scores(top, validation)
        progress(
            f"fine-tuning {len(unfrozen)} layers from {cut_layer} on cached maps: frozen head "
            f"validation top-1 {before[1]:.1%}, loss {before[0]:.3f}"
        )
        best_loss, best_weights, best_epoch = before[0], frozen_weights, 0

        def judge(epoch: int, train_loss: float, seconds: float) -> bool:
            nonlocal best_loss, best_weights, best_epoch
            loss, top1 = heads.scores(top, validation)
            progress(
                f"fine-tune epoch {epoch}/{epochs}: loss {train_loss:.3f} val_loss {loss:.3f} "
                f"val_accuracy {top1:.1%} ({seconds:.1f} s)"
            )
            if loss < best_loss:
                best_loss, best_epoch = loss, epoch
                best_weights = [layer.get_weights() for layer in unfrozen]
            return epoch - best_epoch >= PATIENCE

        epoch = _train_epochs(top, train, class_weight, seed, epochs, judge)
        _set_weights(unfrozen, best_weights)
        after = heads.scores(top, validation)
        kept = (after[1], -after[0]) > (before[1], -before[0])
        if not kept:
            _set_weights(unfrozen, frozen_weights)
    result = FineTuneResult(
        cut_layer, len(unfrozen), before[1], before[0], after[1], after[0], epoch, best_epoch,
        time.monotonic() - started, kept, float(model.get_layer("dropout").rate),
    )  # fmt: skip
    progress(
        f"fine-tuned validation top-1 {after[1]:.1%} (frozen head {before[1]:.1%}) after "
        f"{epoch} epochs, best {best_epoch}, {result.seconds:.0f} s: kept the "
        f"{'fine-tuned' if kept else 'frozen'} weights"
    )
    return result


def refit(
    model: keras.Model,
    cut_layer: str,
    train: heads.Split,
    class_weight: dict[int, float],
    *,
    seed: int,
    epochs: int,
    progress: Progress,
) -> None:
    """Train the layers from `cut_layer` on for exactly `epochs` epochs and keep them (a refit
    on more photos, for the epochs that early stopping found best)."""
    keras.utils.set_random_seed(seed)

    def report(epoch: int, train_loss: float, seconds: float) -> bool:
        progress(f"refit fine-tune epoch {epoch}/{epochs}: loss {train_loss:.3f} ({seconds:.1f} s)")
        return False

    with _unfrozen_top(model, cut_layer) as (top, _):
        _train_epochs(top, train, class_weight, seed, epochs, report)


@contextlib.contextmanager
def _unfrozen_top(
    model: keras.Model, cut_layer: str
) -> Iterator[tuple[keras.Model, list[keras.layers.Layer]]]:
    """The layers from `cut_layer` on as a model, with them trainable (BatchNorm excepted)
    meanwhile, and the layers unfrozen; the backbone is frozen again afterwards, as built."""
    _, top = models.split_at(model, cut_layer)
    was_trainable = {layer.name: layer.trainable for layer in top.layers}
    unfrozen = models.unfreeze(top)
    try:
        yield top, unfrozen
    finally:
        for layer in unfrozen:
            layer.trainable = was_trainable[layer.name]


def _train_epochs(
    top: keras.Model,
    train: heads.Split,
    class_weight: dict[int, float],
    seed: int,
    epochs: int,
    after_epoch: Callable[[int, float, float], bool],
) -> int:
    """Up to `epochs` shuffled epochs of Adam on (maps, labels); `after_epoch(epoch, mean
    train loss, seconds)` returns True to stop. Epochs run."""
    step = heads.train_step(top, keras.optimizers.Adam(LEARNING_RATE))
    weights = np.array([class_weight.get(int(label), 1.0) for label in train[1]], np.float32)
    generator = np.random.default_rng(seed)
    epoch = 0
    for epoch in range(1, epochs + 1):
        epoch_started = time.monotonic()
        order = generator.permutation(len(train[1]))
        losses = [
            float(step(train[0][batch].astype(np.float32), train[1][batch], weights[batch]))
            for batch in np.array_split(order, max(1, round(len(order) / BATCH_SIZE)))
        ]
        if after_epoch(epoch, float(np.mean(losses)), time.monotonic() - epoch_started):
            break
    return epoch


def head_spec(chosen: models.HeadSpec) -> models.HeadSpec:
    """The head to fine-tune with: the chosen one, its dropout at least `HEAD_DROPOUT` (dropout
    has no weights: the chosen head's carry over, and the exported model predicts the same)."""
    return replace(chosen, dropout=max(chosen.dropout, HEAD_DROPOUT))


def _set_weights(layers: list[keras.layers.Layer], weights: list[list[np.ndarray]]) -> None:
    for layer, values in zip(layers, weights, strict=True):
        layer.set_weights(values)
