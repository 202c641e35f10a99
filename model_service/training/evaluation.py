"""Evaluation report maths and rendering: pure NumPy, no TensorFlow.

Every split's top-1 comes with its 95 % Wilson interval; a report of a model with opponent
levels lists every level's top-1 on the game split (`levels`), so each export's report shows
how far apart the levels are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from cargame.analytics.stats import wilson
from cargame.domain.catalog import split_label

TOP_K = 5
CONFUSED_PAIRS = 10  # the report lists this many most-confused (true, predicted) pairs


def top_k_accuracy(probabilities: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Share of rows whose true class is among the k most probable ones."""
    if len(truth) == 0:
        return 0.0
    k = min(k, probabilities.shape[1])
    top = np.argsort(-probabilities, axis=1)[:, :k]
    return float(np.mean(np.any(top == truth[:, None], axis=1)))


def per_class_accuracy(
    predicted: np.ndarray, truth: np.ndarray, labels: Sequence[str]
) -> dict[str, dict[str, float | int]]:
    """Top-1 accuracy and sample count for every class that has samples."""
    result: dict[str, dict[str, float | int]] = {}
    for index, label in enumerate(labels):
        mask = truth == index
        count = int(mask.sum())
        if count:
            result[label] = {"count": count, "top1": float(np.mean(predicted[mask] == index))}
    return result


def make_accuracy(predicted: np.ndarray, truth: np.ndarray, labels: Sequence[str]) -> float:
    """Share of rows where the predicted make equals the true make (the model may differ)."""
    if len(truth) == 0:
        return 0.0
    makes = [split_label(label)[0] for label in labels]
    return float(np.mean([makes[p] == makes[t] for p, t in zip(predicted, truth, strict=True)]))


def confused_pairs(
    predicted: np.ndarray, truth: np.ndarray, labels: Sequence[str], limit: int = CONFUSED_PAIRS
) -> list[dict[str, Any]]:
    """The most frequent wrong (true, predicted) pairs, most frequent first."""
    pairs = Counter((labels[t], labels[p]) for p, t in zip(predicted, truth, strict=True) if p != t)
    ranked = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"true": true, "predicted": guess, "count": count} for (true, guess), count in ranked]


def evaluate_split(
    probabilities: np.ndarray, truth: Sequence[int], labels: Sequence[str]
) -> dict[str, Any]:
    """Every metric of the report for one split's predicted probabilities."""
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1, len(labels))
    truth_array = np.asarray(truth, dtype=np.int64)
    predicted = np.argmax(probabilities, axis=1)
    count = int(len(truth_array))
    top1 = top_k_accuracy(probabilities, truth_array, 1)
    top5 = top_k_accuracy(probabilities, truth_array, TOP_K)
    make_top1 = make_accuracy(predicted, truth_array, labels)
    return {
        "count": count,
        "top1": top1,
        "top1_interval": _interval(top1, count),
        "top5": top5,
        "top5_interval": _interval(top5, count),
        "make_top1": make_top1,
        "make_top1_interval": _interval(make_top1, count),
        "per_class": per_class_accuracy(predicted, truth_array, labels),
        "confused_pairs": confused_pairs(predicted, truth_array, labels),
    }


def _interval(share: float, count: int) -> list[float]:
    """The 95 % Wilson interval of a share measured on `count` photos."""
    low, high = wilson(round(share * count), count)
    return [low, high]


def _with_interval(result: dict[str, Any], key: str) -> str:
    """`84.3% (74%-91%)`; reports written before the interval existed show the share only."""
    interval = result.get(f"{key}_interval")
    if not interval:
        return f"{result[key]:.1%}"
    return f"{result[key]:.1%} ({interval[0]:.0%}-{interval[1]:.0%})"


def render_markdown(report: dict[str, Any]) -> str:
    """A human-readable version of the evaluation report."""
    lines = [f"# Evaluation of {report.get('name', 'model')} ({report.get('backbone', '?')})", ""]
    samples = report.get("samples", {})
    if samples:
        lines += ["Samples: " + ", ".join(f"{split} {count}" for split, count in samples.items())]
    if "training_seconds" in report:
        lines += [
            f"Training time: {report['training_seconds']:.0f} s, "
            f"{report.get('epochs_run', '?')} epochs"
        ]
    lines += [
        "",
        "| split | images | top-1 (95 % interval) | top-5 | make only |",
        "|---|---|---|---|---|",
    ]
    splits = report.get("splits", {})
    for split, result in splits.items():
        scores = " | ".join(_with_interval(result, key) for key in ("top1", "top5", "make_top1"))
        lines.append(f"| {split} | {result['count']} | {scores} |")
    lines += _head_table(report.get("head"))
    lines += _levels_table(report.get("levels", []))
    for split, result in splits.items():
        lines += _split_details(split, result)
    return "\n".join(lines) + "\n"


def level_row(
    level: str, title: str, servable: str, view_size: Sequence[int] | None, splits: dict[str, Any]
) -> dict[str, Any]:
    """One opponent level's line of the report: its photo size and top-1 per split."""
    game = splits.get("game", {})
    return {
        "level": level,
        "title": title,
        "servable": servable,
        "view_size": list(view_size) if view_size else None,
        "validation_top1": splits.get("validation", {}).get("top1"),
        "game_top1": game.get("top1"),
        "game_top1_interval": game.get("top1_interval"),
        "game_count": game.get("count", 0),
    }


def _head_table(head: dict[str, Any] | None) -> list[str]:
    """The heads tried on the frozen features and the one validation chose."""
    if not head:
        return []
    lines = [
        "",
        "## Head chosen by validation",
        "",
        f"Trained on cached features of the views {', '.join(head['views'])} "
        f"(features {head['feature_seconds']:.0f} s); fine-tuning "
        f"{'on' if head['fine_tune'] else 'off'}.",
        "",
        "| head | dropout | L2 | validation top-1 | validation loss | epochs | chosen |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in head["candidates"]:
        shape = f"hidden {row['hidden']}" if row["hidden"] else "linear"
        chosen = "yes" if row == head["chosen"] else ""
        lines.append(
            f"| {shape} | {row['dropout']:g} | {row['l2']:g} | {_percent(row['validation_top1'])} "
            f"| {_number(row['validation_loss'])} | {row['epochs']} | {chosen} |"
        )
    return lines + _fine_tuning_lines(head.get("fine_tuning")) + _refit_lines(head.get("refit"))


def _fine_tuning_lines(result: dict[str, Any] | None) -> list[str]:
    """The frozen head against the fine-tuned top blocks, on the same cached maps."""
    if not result:
        return []
    kept = "the fine-tuned weights" if result["kept"] else "the frozen weights (no gain)"
    return [
        "",
        "## Fine-tuning on cached maps",
        "",
        f"{result['layers']} layers from `{result['cut_layer']}` on, and the head (dropout "
        f"{result['head_dropout']:g} before it), trained on the cached maps that layer takes in "
        f"(BatchNorm frozen): {result['epochs']} epochs (best {result['best_epoch']}), "
        f"{result['seconds']:.0f} s. Kept: {kept}.",
        "",
        "| weights | validation top-1 | validation loss |",
        "|---|---|---|",
        f"| frozen head | {_percent(result['validation_top1_before'])} "
        f"| {_number(result['validation_loss_before'])} |",
        f"| fine-tuned | {_percent(result['validation_top1_after'])} "
        f"| {_number(result['validation_loss_after'])} |",
    ]


def _refit_lines(refit: dict[str, Any] | None) -> list[str]:
    """What was trained again on train + validation, and what the validation scores mean."""
    if not refit:
        return []
    tuned = refit["fine_tune_epochs"]
    top = f" and the top blocks for {tuned}" if tuned else ""
    return [
        "",
        "## Refit on train + validation",
        "",
        f"What validation chose was then trained again on the train and validation photos "
        f"({refit['photos']}, both views): the head for {refit['head_epochs']} epochs{top} "
        f"({refit['seconds']:.0f} s). The exported model is the refit one, scored on the game "
        "split; the validation scores (and the levels' calibration) are the model's before the "
        "refit, the only one that has not learned from those photos.",
    ]


def _levels_table(levels: list[dict[str, Any]]) -> list[str]:
    """The opponent levels as Markdown: photo size, validation and game top-1 (95 % interval)."""
    if not levels:
        return []
    lines = [
        "",
        "## Opponent levels",
        "",
        "| level | servable | photo size | validation top-1 | game top-1 (95 % interval) |",
        "|---|---|---|---|---|",
    ]
    for row in levels:
        size = "x".join(map(str, row["view_size"])) if row["view_size"] else "full"
        low, high = row["game_top1_interval"] or (0.0, 1.0)
        lines.append(
            f"| {row['title']} | {row['servable']} | {size} | {_percent(row['validation_top1'])} "
            f"| {_percent(row['game_top1'])} ({low:.0%}-{high:.0%}) |"
        )
    return lines


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f}"


def _percent(value: float | None) -> str:
    return "?" if value is None else f"{value:.1%}"


def _split_details(split: str, result: dict[str, Any]) -> list[str]:
    """Per-class accuracy and confusions of one split as Markdown."""
    lines = ["", f"## {split}: per class", "", "| class | images | top-1 |", "|---|---|---|"]
    for label, scores in sorted(result["per_class"].items()):
        lines.append(f"| {label} | {scores['count']} | {scores['top1']:.1%} |")
    if result["confused_pairs"]:
        lines += ["", f"## {split}: most confused", "", "| true | predicted | times |"]
        lines.append("|---|---|---|")
        lines += [
            f"| {pair['true']} | {pair['predicted']} | {pair['count']} |"
            for pair in result["confused_pairs"]
        ]
    return lines
