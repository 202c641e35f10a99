"""Writing games to the database as they happen: started, each round, finished or abandoned.

Every write is idempotent: the game id and (game id, round number) are primary keys, and the
move to "finished" is an UPDATE that only a still-open game takes, so reloads, double clicks,
retries and other workers never store a game or a round twice. Each function commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cargame.accounts.models import Game, GameRound, utc_now
from cargame.domain.catalog import split_label
from cargame.domain.game import GameData

MODES = ("solo", "booth")
CLAIM_WINDOW = timedelta(hours=1)  # a guest game older than this is not someone's fresh game
OPEN = ("started",)


class RecordError(ValueError):
    """A game that may not be recorded (unfinished, or an unknown mode)."""


def _make(label: str | None) -> str | None:
    return None if label is None else split_label(label)[0]


def round_row(game: GameData, number: int) -> GameRound:
    """The database row of guessed round `number` (1-based), with the facts analytics group by."""
    game_id, game_round = game.game_id, game.rounds[number - 1]
    earlier = game.rounds[: number - 1]
    top = game_round.ai_top5[0] if game_round.ai_top5 else None
    shown, guessed = game_round.shown_at, game_round.guessed_at
    return GameRound(
        game_id=game_id,
        round_number=number,
        image_id=game_round.image_id,
        truth=game_round.truth,
        truth_make=split_label(game_round.truth)[0],
        guess=game_round.guess,
        guess_make=_make(game_round.guess),
        ai_top5=[prediction.as_dict() for prediction in game_round.ai_top5],
        ai_guess=top.label if top else None,
        ai_make=_make(top.label if top else None),
        ai_confidence=top.probability if top else None,
        ai_top5_hit=any(p.label == game_round.truth for p in game_round.ai_top5),
        player_points=game_round.player_points,
        ai_points=game_round.ai_points,
        seconds=(guessed - shown).total_seconds() if guessed and shown else None,
        heatmap_shown=game_round.heatmap_shown,
        truth_heatmap_shown=game_round.truth_heatmap_shown,
        # Final once this round is played: earlier rounds' answer pages are gone by then.
        after_truth_heatmap=any(past.truth_heatmap_shown for past in earlier),
    )


def tallies(game: GameData) -> dict[str, int]:
    """Scores and hits (exact model, right make) of the played rounds, as a games row keeps."""
    played = game.played_rounds
    return {
        "player_score": game.player_score,
        "ai_score": game.ai_score,
        "human_exact": sum(r.player_points >= 2 for r in played),
        "human_make": sum(r.player_points >= 1 for r in played),
        "ai_exact": sum(r.ai_points >= 2 for r in played),
        "ai_make": sum(r.ai_points >= 1 for r in played),
    }


def start(session: Session, game: GameData, user_id: int | None, mode: str) -> bool:
    """Record a game as "started"; False when it was recorded already."""
    if mode not in MODES:
        raise RecordError(f"unknown game mode {mode!r}; expected one of {', '.join(MODES)}")
    if session.get(Game, game.game_id) is not None:
        return False
    session.add(
        Game(
            id=game.game_id,
            user_id=user_id,
            mode=mode,
            model_name=game.model_name,
            model_version=game.model_version,
            level=game.level,
            status="started",
            started_at=game.started_at,
            rounds_total=game.total_rounds,
        )
    )
    return _commit_once(session, Game, game.game_id)


def record_round(session: Session, game: GameData, number: int) -> None:
    """Store round `number` (1-based) once guessed; later calls update its heatmap flags."""
    game_round = game.rounds[number - 1]
    if not game_round.guessed:
        raise RecordError(f"round {number} of game {game.game_id} is not guessed")
    stored = session.get(GameRound, (game.game_id, number))
    if stored is None:
        session.add(round_row(game, number))
    else:
        stored.heatmap_shown = game_round.heatmap_shown
        stored.truth_heatmap_shown = game_round.truth_heatmap_shown
    played = len(game.played_rounds)
    session.execute(
        update(Game).where(Game.id == game.game_id).values(rounds_played=played, **tallies(game))
    )
    _commit_once(session, GameRound, (game.game_id, number))


def finish(session: Session, game: GameData) -> bool:
    """Mark a decided game "finished" with its score; True only for the call that did it.

    A game is decided at its last guess, so `finished_at` is that moment unless the player
    already moved on to the final score. An abandoned game that is then decided still finishes.
    """
    if not game.decided:
        raise RecordError(f"game {game.game_id} is not finished")
    finished_at = game.finished_at or max(
        game_round.guessed_at for game_round in game.rounds if game_round.guessed_at
    )
    result = session.execute(
        update(Game)
        .where(Game.id == game.game_id, Game.status != "finished")
        .values(
            status="finished",
            finished_at=finished_at,
            abandoned_at=None,
            rounds_played=len(game.played_rounds),
            winner=game.winner,
            **tallies(game),
        )
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def record_finished_game(session: Session, game: GameData, user_id: int | None, mode: str) -> bool:
    """Store a whole decided game at once (start, every round, finish); False if it was
    finished already. Safe to call again for the same game."""
    if not game.decided:
        raise RecordError(f"game {game.game_id} is not finished")
    start(session, game, user_id, mode)
    for number in range(1, game.total_rounds + 1):
        record_round(session, game, number)
    return finish(session, game)


def abandon(
    session: Session, game_id: str, now: datetime | None = None, *, commit: bool = True
) -> bool:
    """Mark a game that is still open as "abandoned"; True when it was open. Without `commit`
    the change waits for the caller's next commit."""
    result = session.execute(
        update(Game)
        .where(Game.id == game_id, Game.status.in_(OPEN))
        .values(status="abandoned", abandoned_at=now or utc_now())
    )
    if commit:
        session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def abandon_stale(
    session: Session, older_than: timedelta, now: datetime | None = None, *, commit: bool = True
) -> int:
    """Games still open after `older_than` (their session has expired) become "abandoned"."""
    now = now or utc_now()
    result = session.execute(
        update(Game)
        .where(Game.status.in_(OPEN), Game.started_at < now - older_than)
        .values(status="abandoned", abandoned_at=now)
    )
    if commit:
        session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim_guest_game(
    session: Session, game_id: str, user_id: int, now: datetime | None = None
) -> bool:
    """Give a recent finished guest game to the player who kept it; never someone else's."""
    now = now or utc_now()
    result = session.execute(
        update(Game)
        .where(
            Game.id == game_id,
            Game.user_id.is_(None),
            Game.status == "finished",
            Game.finished_at >= now - CLAIM_WINDOW,
        )
        .values(user_id=user_id, kept_by_guest=True)
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def _commit_once(session: Session, model: type, key: object) -> bool:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        # Another request stored the same key a moment ago, which is fine; any other error is not.
        if session.get(model, key) is None:
            raise
        return False
    return True
