"""One game of Beat the AI: five rounds, the player's guesses, the AI's answers and the score.

Plain Python (no Dash, no Flask): the web tier keeps a `GameData` per session on the server
(pickled by dash-extensions `Serverside`), and `public_view()` is all the browser may see.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from cargame.domain.catalog import split_label

Stage = Literal["attempt", "result", "finished"]
Winner = Literal["player", "ai", "draw"]

EXACT_MODEL_POINTS = 2  # right make and right model
RIGHT_MAKE_POINTS = 1  # right make, wrong model
STAGE_PATHS: dict[str, str] = {"attempt": "/attempt", "result": "/result", "finished": "/finish"}


class GameError(ValueError):
    """An action that the game's current stage does not allow, or an unknown label."""


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def score(guess_label: str | None, truth_label: str) -> int:
    """Points for a guess: 2 for the exact model, 1 for the right make only, else 0."""
    if guess_label is None:
        return 0
    if guess_label == truth_label:
        return EXACT_MODEL_POINTS
    guess_make, _ = split_label(guess_label)
    truth_make, _ = split_label(truth_label)
    return RIGHT_MAKE_POINTS if guess_make == truth_make else 0


@dataclass(frozen=True)
class Prediction:
    """One of the AI's candidate answers: a `Make/Model` label and its probability."""

    label: str
    probability: float

    @property
    def make(self) -> str:
        return split_label(self.label)[0]

    @property
    def model(self) -> str:
        return split_label(self.label)[1]

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "probability": self.probability}


@dataclass
class Round:
    """One photo: its truth, the AI's top-5, heatmap tokens and the player's guess."""

    image_id: str
    image_token: str
    truth: str
    ai_top5: list[Prediction]
    heatmap_token: str | None = None
    truth_heatmap_token: str | None = None
    guess: str | None = None
    shown_at: datetime | None = None
    guessed_at: datetime | None = None
    heatmap_shown: bool = False
    truth_heatmap_shown: bool = False  # the player opened "where it should have looked"
    timed_out: bool = False  # the round timer ran out before a whole answer was locked in

    @property
    def ai_guess(self) -> str | None:
        """The AI's answer: its top-1 label (None when the model returned nothing)."""
        return self.ai_top5[0].label if self.ai_top5 else None

    @property
    def guessed(self) -> bool:
        """Locked in: a guess, or the timer ran out without one (0 points)."""
        return self.guess is not None or self.timed_out

    @property
    def player_points(self) -> int:
        return score(self.guess, self.truth)

    @property
    def ai_points(self) -> int:
        return score(self.ai_guess, self.truth)

    def reveal(self) -> dict[str, Any]:
        """Everything about this round, for after the guess."""
        return {
            "truth": self.truth,
            "guess": self.guess,
            "ai_guess": self.ai_guess,
            "ai_top5": [prediction.as_dict() for prediction in self.ai_top5],
            "player_points": self.player_points,
            "ai_points": self.ai_points,
            "image_token": self.image_token,
            "heatmap_token": self.heatmap_token,
            "truth_heatmap_token": self.truth_heatmap_token,
            "heatmap_shown": self.heatmap_shown,
            "timed_out": self.timed_out,
        }


@dataclass
class GameData:
    """A whole game: the rounds, the current one, the stage and the model that played."""

    rounds: list[Round]
    labels: list[str]
    model_name: str
    model_version: int | None = None
    level: str | None = None  # the opponent level the player chose (its servable: model_name)
    game_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    current: int = 0
    stage: Stage = "attempt"
    started_at: datetime = field(default_factory=utc_now)
    finished_at: datetime | None = None
    round_seconds: int | None = None  # the round timer (None: no timer in this game)
    ai_seconds: float | None = None  # the AI's measured predict time per photo
    # Counts the changes: the store keeps a write only if it is newer than what it holds, so
    # two lock-ins of the same round (double click, two tabs, two workers) cannot both count.
    revision: int = 0

    def __post_init__(self) -> None:
        if not self.rounds:
            raise GameError("a game needs at least one round")
        if self.rounds[0].shown_at is None:
            self.rounds[0].shown_at = self.started_at

    @property
    def current_round(self) -> Round:
        return self.rounds[self.current]

    @property
    def round_number(self) -> int:
        """The current round, counted from 1."""
        return self.current + 1

    @property
    def total_rounds(self) -> int:
        return len(self.rounds)

    @property
    def played_rounds(self) -> list[Round]:
        """The rounds whose answers are revealed (the player has guessed)."""
        return [game_round for game_round in self.rounds if game_round.guessed]

    @property
    def player_score(self) -> int:
        return sum(game_round.player_points for game_round in self.played_rounds)

    @property
    def ai_score(self) -> int:
        return sum(game_round.ai_points for game_round in self.played_rounds)

    @property
    def winner(self) -> Winner:
        if self.player_score > self.ai_score:
            return "player"
        if self.ai_score > self.player_score:
            return "ai"
        return "draw"

    @property
    def decided(self) -> bool:
        """True once every round is guessed: the score is final even before the last "Next"."""
        return all(game_round.guessed for game_round in self.rounds)

    @property
    def expected_path(self) -> str:
        """The page that matches the stage: /attempt, /result or /finish."""
        return STAGE_PATHS[self.stage]

    def guess(self, label: str, now: datetime | None = None) -> Round:
        """Lock in the player's answer for the current round."""
        if self.stage != "attempt":
            raise GameError(f"cannot guess in the {self.stage} stage")
        if label not in self.labels:
            raise GameError(f"unknown car: {label!r}")
        return self._lock_in(label, timed_out=False, now=now)

    def seconds_left(self, now: datetime | None = None) -> float | None:
        """Seconds left on the current round's timer, negative once it is up (None: no timer,
        or not at a guess)."""
        shown = self.current_round.shown_at
        if self.round_seconds is None or self.stage != "attempt" or shown is None:
            return None
        elapsed = ((now or utc_now()) - shown).total_seconds()
        return self.round_seconds - elapsed

    def time_out(self, now: datetime | None = None) -> Round:
        """The timer ran out with no whole answer: the round is locked in empty, 0 points."""
        if self.stage != "attempt":
            raise GameError(f"cannot time out in the {self.stage} stage")
        return self._lock_in(None, timed_out=True, now=now)

    def _lock_in(self, label: str | None, timed_out: bool, now: datetime | None) -> Round:
        game_round = self.current_round
        game_round.guess = label
        game_round.timed_out = timed_out
        game_round.guessed_at = now or utc_now()
        self.stage = "result"
        self.revision += 1
        return game_round

    def show_heatmap(self) -> Round:
        """Record that the player opened the heatmap (only after guessing)."""
        if self.stage == "attempt":
            raise GameError("the heatmap is shown only after the guess")
        self.current_round.heatmap_shown = True
        self.revision += 1
        return self.current_round

    def show_truth_heatmap(self) -> Round:
        """Record that the player opened "where it should have looked" (only after guessing)."""
        if self.stage == "attempt":
            raise GameError("the heatmap is shown only after the guess")
        self.current_round.truth_heatmap_shown = True
        self.revision += 1
        return self.current_round

    def next_round(self, now: datetime | None = None) -> None:
        """From a round's result to the next round, or to the end after the last one."""
        if self.stage != "result":
            raise GameError(f"cannot move on from the {self.stage} stage")
        now = now or utc_now()
        self.revision += 1
        if self.current + 1 >= self.total_rounds:
            self.stage = "finished"
            self.finished_at = now
            return
        self.current += 1
        self.stage = "attempt"
        self.current_round.shown_at = now

    def public_view(self) -> dict[str, Any]:
        """What the browser may see now: never the truth, the AI's answer or heatmaps unguessed."""
        view: dict[str, Any] = {
            "game_id": self.game_id,
            "stage": self.stage,
            "round_number": self.round_number,
            "total_rounds": self.total_rounds,
            "image_token": self.current_round.image_token,
            "player_score": self.player_score,
            "ai_score": self.ai_score,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "level": self.level,
            "round_seconds": self.round_seconds,
            "ai_seconds": self.ai_seconds,
        }
        if self.stage != "attempt":
            view["round"] = self.current_round.reveal()
        if self.stage == "finished":
            view["rounds"] = [game_round.reveal() for game_round in self.rounds]
            view["winner"] = self.winner
        return view


def new_game(
    rounds: Sequence[Round],
    labels: Sequence[str],
    model_name: str,
    model_version: int | None = None,
    now: datetime | None = None,
    level: str | None = None,
) -> GameData:
    """A fresh game at the first round's attempt stage."""
    return GameData(
        rounds=list(rounds),
        labels=sorted(set(labels)),
        model_name=model_name,
        model_version=model_version,
        level=level,
        started_at=now or utc_now(),
    )
