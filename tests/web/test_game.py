"""GameData and scoring: stages, illegal moves, what the browser may see, pickling."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta

import pytest

from cargame.domain.game import GameData, GameError, Prediction, Round, new_game, score

LABELS = ["Audi/A4", "Audi/Q5", "BMW/X5", "Ford/Fiesta", "Tesla/Model S", "Volvo/XC90"]
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def make_round(index: int, truth: str, ai_top1: str) -> Round:
    others = [label for label in LABELS if label != ai_top1][:4]
    top5 = [Prediction(ai_top1, 0.6)] + [Prediction(label, 0.1) for label in others]
    return Round(
        image_id=f"img{index}",
        image_token=f"tok-image-{index}",
        truth=truth,
        ai_top5=top5,
        heatmap_token=f"tok-heat-{index}",
        truth_heatmap_token=None if truth == ai_top1 else f"tok-truth-{index}",
    )


@pytest.fixture
def game() -> GameData:
    rounds = [
        make_round(0, "Audi/A4", "Audi/A4"),
        make_round(1, "BMW/X5", "Volvo/XC90"),
        make_round(2, "Tesla/Model S", "Tesla/Model S"),
    ]
    return new_game(rounds, LABELS, "cars", 3, now=T0)


@pytest.mark.parametrize(
    ("guess", "truth", "points"),
    [
        ("Audi/A4", "Audi/A4", 2),
        ("Audi/Q5", "Audi/A4", 1),
        ("BMW/X5", "Audi/A4", 0),
        (None, "Audi/A4", 0),
        ("Tesla/Model S", "Tesla/Model S", 2),
    ],
)
def test_score(guess: str | None, truth: str, points: int) -> None:
    assert score(guess, truth) == points


def test_prediction_make_and_model() -> None:
    prediction = Prediction("Tesla/Model S", 0.9)
    assert (prediction.make, prediction.model) == ("Tesla", "Model S")


def test_new_game_starts_at_first_attempt(game: GameData) -> None:
    assert (game.stage, game.round_number, game.total_rounds) == ("attempt", 1, 3)
    assert game.expected_path == "/attempt"
    assert game.rounds[0].shown_at == T0
    assert len(game.game_id) == 32
    assert (game.player_score, game.ai_score, game.finished_at) == (0, 0, None)


def test_full_game_walkthrough(game: GameData) -> None:
    game.guess("Audi/Q5", now=T0 + timedelta(seconds=5))  # make only: 1, AI exact: 2
    assert (game.stage, game.expected_path) == ("result", "/result")
    assert game.rounds[0].guessed_at == T0 + timedelta(seconds=5)
    assert (game.player_score, game.ai_score) == (1, 2)
    game.next_round(now=T0 + timedelta(seconds=9))
    assert (game.stage, game.round_number) == ("attempt", 2)
    assert game.rounds[1].shown_at == T0 + timedelta(seconds=9)
    game.guess("BMW/X5")  # player exact: 2, AI wrong make: 0
    game.next_round()
    game.guess("Tesla/Model S")  # both exact
    assert (game.player_score, game.ai_score) == (5, 4)
    game.next_round(now=T0 + timedelta(minutes=1))
    assert (game.stage, game.expected_path) == ("finished", "/finish")
    assert game.finished_at == T0 + timedelta(minutes=1)
    assert game.winner == "player"


def test_winner_ai_and_draw(game: GameData) -> None:
    game.guess("Ford/Fiesta")
    assert game.winner == "ai"
    game.next_round()
    game.guess("BMW/X5")
    assert game.winner == "draw"


def test_guess_twice_is_refused(game: GameData) -> None:
    game.guess("Audi/A4")
    with pytest.raises(GameError):
        game.guess("Audi/Q5")
    assert game.rounds[0].guess == "Audi/A4"


def test_unknown_label_is_refused(game: GameData) -> None:
    with pytest.raises(GameError, match="unknown"):
        game.guess("Lada/Niva")
    assert game.stage == "attempt"


def test_next_round_before_guess_is_refused(game: GameData) -> None:
    with pytest.raises(GameError):
        game.next_round()
    assert game.round_number == 1


def test_finished_game_refuses_moves(game: GameData) -> None:
    for _ in range(3):
        game.guess("Audi/A4")
        game.next_round()
    with pytest.raises(GameError):
        game.next_round()
    with pytest.raises(GameError):
        game.guess("Audi/A4")
    assert game.round_number == 3


def test_heatmap_only_after_guess(game: GameData) -> None:
    with pytest.raises(GameError):
        game.show_heatmap()
    game.guess("Audi/A4")
    assert game.show_heatmap().heatmap_shown


def test_empty_game_is_refused() -> None:
    with pytest.raises(GameError):
        new_game([], LABELS, "cars")


def test_public_view_hides_answers_before_guess(game: GameData) -> None:
    for index in range(3):
        text = json.dumps(game.public_view())
        current = game.current_round
        secrets = [current.truth, current.ai_top5[0].label, current.heatmap_token]
        secrets += [current.truth_heatmap_token, current.image_id]
        for secret in filter(None, secrets):
            assert secret not in text
        assert current.image_token in text
        game.guess(LABELS[index])
        text = json.dumps(game.public_view())
        assert current.truth in text and current.heatmap_token in text
        game.next_round()


def test_public_view_after_guess_reveals_round(game: GameData) -> None:
    game.guess("Audi/Q5")
    view = game.public_view()
    assert view["round"]["truth"] == "Audi/A4"
    assert view["round"]["ai_guess"] == "Audi/A4"
    assert view["round"]["player_points"] == 1
    assert len(view["round"]["ai_top5"]) == 5
    assert (view["player_score"], view["ai_score"]) == (1, 2)


def test_public_view_finished_lists_all_rounds(game: GameData) -> None:
    for _ in range(3):
        game.guess("Audi/A4")
        game.next_round()
    view = game.public_view()
    assert view["winner"] == "ai"
    assert [item["truth"] for item in view["rounds"]] == [r.truth for r in game.rounds]


def test_pickle_round_trip(game: GameData) -> None:
    game.guess("Audi/Q5")
    restored = pickle.loads(pickle.dumps(game))
    assert restored == game
    restored.next_round()
    assert (restored.stage, restored.round_number, restored.player_score) == ("attempt", 2, 1)
