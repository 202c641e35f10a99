"""The plain maths of the analytics views: Wilson intervals and calibration."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal quantile for a two-sided 95 % interval


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default); (0, 1) without trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class CalibrationBin:
    """Rounds whose top-1 confidence fell in [low, high): how sure the AI was, how right."""

    low: float
    high: float
    rounds: int
    mean_confidence: float
    accuracy: float


def expected_calibration_error(bins: Sequence[CalibrationBin]) -> float:
    """ECE: the rounds-weighted mean gap between confidence and accuracy over the bins."""
    total = sum(item.rounds for item in bins)
    if not total:
        return 0.0
    return sum(item.rounds * abs(item.accuracy - item.mean_confidence) for item in bins) / total
