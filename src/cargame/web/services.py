"""One function per player action. Pages call these and render what comes back.

Game, session, cache and database work happens here, never in page layouts or callbacks, so a
page module stays its layout and the wiring of its components.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from cargame.accounts import game_records, records
from cargame.accounts.db import db_session
from cargame.accounts.game_records import SaveStatus, keep_token, save_status
from cargame.booth.names import NicknameError
from cargame.clients.serving import ServingError
from cargame.domain import rounds
from cargame.domain.catalog import CatalogError, make_label, split_label
from cargame.domain.game import GameData, GameError
from cargame.web import booth_board, booth_kiosk, heatmaps, opponents, share, state
from cargame.web.media import media_url
from cargame.web.runtime import runtime

logger = logging.getLogger(__name__)

EXPIRED = "/?notice=expired"
TIMER_KEY = "cargame_round_timer"  # in the session: False when the player turned it off
TIMER_GRACE_SECONDS = 3  # a lock-in in flight when the time runs out still counts
RECORDS_UNAVAILABLE = "The records are unavailable right now. Please try again in a minute."


class RecordsUnavailable(RuntimeError):
    """The accounts database failed; the message is meant for the player."""


@dataclass(frozen=True)
class Move:
    """What an action did: the game to store (None: leave the store), where to go, a message."""

    game: GameData | None = None
    href: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class FinishView:
    """What the final score page shows besides the game itself."""

    save_status: SaveStatus
    signed_in: bool
    next_player_token: str | None  # the CSRF token of the booth's "Next player" form
    keep_token: str | None = None  # lets a guest keep this game by registering or signing in
    take_home: booth_kiosk.TakeHome | None = None  # booth: the QR link to keep it on a phone
    booth: bool = False
    nickname: str | None = None  # booth: the game's name on today's board, once given
    share_url: str | None = None  # the public result card's link (not on a booth kiosk)


@dataclass(frozen=True)
class PlayerRecord:
    """A signed-in player's profile."""

    username: str
    stats: records.ProfileStats
    history: list[records.GameSummary]


def rounds_per_game() -> int:
    """Rounds per game (`[web] rounds`)."""
    return runtime().settings.rounds


def is_booth() -> bool:
    """True on a shared kiosk screen (`[web] booth`)."""
    return runtime().booth


def game_in_progress(raw_pointer: object) -> GameData | None:
    """This browser's unfinished game behind a store value, for "Continue your game"."""
    game = state.load_game(raw_pointer)
    return game if game is not None and game.stage != "finished" else None


def start_game(level: str | None = None) -> Move:
    """Prepare a new game for this browser against opponent `level` (None: the one it played
    last, else the default), reporting progress to `start_progress`."""
    app = runtime()
    settings = app.settings.at_level(level or opponents.chosen_level())
    recorder = app.progress.recorder(_progress_owner())
    background = bool(app.config.get("web", "background_heatmaps"))
    prepare = rounds.prepare_rounds if background else rounds.prepare_game
    try:
        prepared = prepare(
            app.shelf.catalog(), settings, media=app.media, rng=random.Random(), progress=recorder
        )
    except ServingError as error:
        logger.warning("cannot start a game, model server failed: %s", error)
        return Move(
            message="The AI's model server is not answering right now, so the game cannot start."
        )
    except (rounds.GamePreparationError, CatalogError) as error:
        # The details (paths, counts) go to the log, not to the player's screen.
        logger.error("cannot start a game, catalog problem: %s", error)
        return Move(
            message="The garage has no photos ready to play with yet. Please ask the "
            "host to set it up."
        )
    if isinstance(prepared, rounds.PreparedGame):
        app.heatmaps.start(prepared, settings.model_name)  # round 1 shows while they are made
        game = prepared.game
    else:
        game = prepared
    game.round_seconds = round_seconds() if timer_on() else None
    if settings.level is not None:
        opponents.remember_level(settings.level)
    stale_after = timedelta(seconds=int(app.config.get("web", "session_ttl_seconds")))
    _record("started game", game_records.game_started, game, app.mode, stale_after)
    return Move(game, game.expected_path)


def start_progress() -> int | None:
    """How far this browser's game start has come, in percent (None: nothing recorded)."""
    return runtime().progress.percent(_progress_owner())


def _progress_owner() -> str:
    return f"start-{state.session_id()}"


def lock_in(
    game: GameData | None, make: str | None, model: str | None, timed_out: bool = False
) -> Move:
    """Lock in the player's guess for the current round and move on to its answer.

    Once per round: when two lock-ins race, the first one stored wins and both get its answer.
    After the last round's guess the score is final, so the game is recorded right then: a
    player who starts a new game instead of opening the final score cannot drop a lost game.
    With the round timer, `timed_out` (the page's countdown reached zero) locks in whatever
    whole answer is chosen, or nothing; a lock-in that arrives well after the time is up
    counts as nothing too, whatever the page sent.
    """
    moved = _off_stage(game, "attempt")
    if moved is not None or game is None:
        return moved or Move(href=EXPIRED)
    left = game.seconds_left()
    overdue = left is not None and left < -TIMER_GRACE_SECONDS
    missing = _missing(make, model)
    if overdue or (timed_out and left is not None and left <= TIMER_GRACE_SECONDS and missing):
        answered = game.time_out()
    elif missing:
        return Move(message=missing)
    else:
        try:
            answered = game.guess(make_label(str(make), str(model)))
        except GameError:
            return Move(message="That car is not in this game; pick again.")
    _attach_heatmaps(game)
    if answered.heatmap_token is not None:
        game.show_heatmap()  # /result opens with the AI's heatmap whenever there is one
    stored = state.commit(game)
    mode = runtime().mode
    _record("round of game", game_records.round_played, stored, stored.round_number, mode)
    if stored.decided:
        _record("finished game", game_records.game_decided, stored, mode)
    return Move(stored, stored.expected_path)


def timer_on() -> bool:
    """Whether this browser plays with the round timer (its choice on the start page)."""
    return round_seconds() > 0 and session.get(TIMER_KEY, True) is not False


def set_timer(on: bool) -> None:
    """Remember this browser's timer choice (off: no time limit, e.g. for accessibility)."""
    session[TIMER_KEY] = bool(on)


def round_seconds() -> int:
    """The round timer's length (`[web] round_seconds`; 0: no timer for anyone)."""
    return max(0, int(runtime().config.get("web", "round_seconds")))


def show_truth_heatmap(game: GameData | None) -> None:
    """The player opened "where it should have looked": kept with the round for analytics."""
    if game is None or game.stage != "result" or game.current_round.truth_heatmap_shown:
        return
    game.show_truth_heatmap()
    stored = state.commit(game)
    _record("round of game", game_records.round_played, stored, stored.round_number, runtime().mode)


def next_round(game: GameData | None) -> Move:
    """Go on from a round's answer; after the last one, finish and save the game."""
    moved = _off_stage(game, "result")
    if moved is not None or game is None:
        return moved or Move(href=EXPIRED)
    number = game.round_number
    # A heatmap that arrived while the answer page was open was shown there (it polls).
    arrived = _attach_heatmaps(game) and game.current_round.heatmap_token is not None
    if arrived:
        game.show_heatmap()
    game.next_round()
    stored = state.commit(game)
    mode = runtime().mode
    if arrived:
        _record("round of game", game_records.round_played, stored, number, mode)
    if stored.stage == "finished":
        # Recorded at the last lock-in already; this only makes sure.
        _record("finished game", game_records.game_decided, stored, mode)
    return Move(stored, stored.expected_path)


def answer_view(game: GameData) -> tuple[dict[str, Any], bool]:
    """The current round's reveal for its answer page, with whatever heatmaps are ready, and
    whether they are still being made (the page then shows a spinner and polls)."""
    found = runtime().heatmaps.lookup(game, game.current)
    return _with_heatmaps(game.current_round.reveal(), found), found.pending


def poll_heatmaps(game: GameData | None, waited_seconds: float) -> tuple[dict[str, Any], bool]:
    """The answer page's heatmaps once more: the reveal and whether they are still pending.

    When the worker that was making them is gone, this worker explains the round itself; after
    `heatmap_wait_seconds()` the page stops waiting and shows "unavailable". Raises GameError
    when the game is not at an answer page (nothing to reveal).
    """
    if game is None or game.stage != "result":
        raise GameError("no answer page to show heatmaps on")
    app = runtime()
    try:
        found = app.heatmaps.resolve(game, game.current, app.shelf.catalog())
    except CatalogError:  # no photos to explain: only what the filler made can show
        found = app.heatmaps.lookup(game, game.current)
    if found.pending and waited_seconds >= heatmap_wait_seconds():
        logger.warning("gave up waiting for the heatmaps of game %s", game.game_id)
        found = heatmaps.NONE
    return _with_heatmaps(game.current_round.reveal(), found), found.pending


def heatmap_wait_seconds() -> float:
    """How long an answer page waits for its heatmaps: a filler's explainer calls, or a
    take-over's after a lost lease, each bounded by the explainer's timeout."""
    return 2 * runtime().settings.explainer_timeout + 2 * heatmaps.LEASE_SECONDS


def _with_heatmaps(reveal: dict[str, Any], found: heatmaps.RoundHeatmaps) -> dict[str, Any]:
    return {**reveal, "heatmap_token": found.ai_token, "truth_heatmap_token": found.truth_token}


def _attach_heatmaps(game: GameData) -> bool:
    """Put the current round's heatmaps into the game once they are ready; True if it did."""
    game_round = game.current_round
    if game_round.heatmap_token is not None or game_round.truth_heatmap_token is not None:
        return False
    found = runtime().heatmaps.lookup(game, game.current)
    if found.pending or (found.ai_token is None and found.truth_token is None):
        return False
    game_round.heatmap_token, game_round.truth_heatmap_token = found.ai_token, found.truth_token
    return True


def _off_stage(game: GameData | None, stage: str) -> Move | None:
    """Where to send a player whose game is gone or at another stage, else None."""
    if game is None:
        return Move(href=EXPIRED)
    if game.stage != stage:
        return Move(href=game.expected_path)
    return None


def _missing(make: str | None, model: str | None) -> str | None:
    if not make and not model:
        return "Choose a make and a model before you lock in."
    if not make:
        return "Choose a make first."
    if not model:
        return "Now choose the model too."
    return None


def _record(what: str, write: Callable[..., object], game: GameData, *args: object) -> None:
    # A database that is down costs the player the record, never the game or its score page.
    try:
        write(game, *args)
    except SQLAlchemyError:
        logger.exception("could not record %s %s", what, game.game_id)


def finish_view(game: GameData) -> FinishView:
    """Whether the finished game was saved, and the booth's "Next player" form token."""
    try:
        status = save_status(game.game_id)
    except SQLAlchemyError:
        # The game was not recorded either; the score page must still show.
        logger.exception("could not look up finished game %s", game.game_id)
        status = "unsaved"
    signed_in = bool(current_user.is_authenticated)
    if not is_booth():
        keep = keep_token(game.game_id) if status == "claimable" else None
        return FinishView(status, signed_in, None, keep, share_url=share.share_url(game.game_id))
    # A kiosk: "Next player", a name for today's board, and the game kept by QR on a phone
    # (the kiosk's own sign-in forms only when `[booth] accounts` offers them).
    accounts = booth_kiosk.settings().accounts
    keep = keep_token(game.game_id) if status == "claimable" and accounts else None
    take_home = booth_kiosk.take_home(game) if status == "claimable" else None
    nickname = booth_kiosk.nickname_for(game.game_id) if status != "unsaved" else None
    return FinishView(
        status, signed_in, generate_csrf(), keep, take_home, booth=True, nickname=nickname
    )


def save_nickname(game: GameData | None, raw: object) -> tuple[str | None, str | None]:
    """Name this browser's finished booth game on today's board: (name, None) or (None, why)."""
    if game is None or game.stage != "finished" or not is_booth():
        return None, "This game is over; start a new one to get on the board."
    if not isinstance(raw, str) or not raw.strip():
        return None, "Type a nickname first, or just leave it."
    try:
        return booth_board.set_nickname(game.game_id, raw), None
    except NicknameError as error:
        return None, str(error)
    except SQLAlchemyError:
        logger.exception("could not save the nickname of game %s", game.game_id)
        return None, "The board is unavailable right now; your score still counts."


def makes_of(game: GameData) -> list[str]:
    """The makes among the game's labels, sorted."""
    return sorted({split_label(label)[0] for label in game.labels})


def showroom() -> dict[str, list[tuple[str, str | None]]]:
    """Per make, its models as (label, reference picture URL or None), sorted by label.

    Raises CatalogError when no catalog is set up.
    """
    shelf = runtime().shelf
    catalog = shelf.catalog()
    tokens = shelf.showroom_tokens()
    groups: dict[str, list[tuple[str, str | None]]] = {}
    for label in catalog.labels:
        token = tokens.get(label)
        make = split_label(label)[0]
        groups.setdefault(make, []).append((label, media_url(token) if token else None))
    return groups


def player_record() -> PlayerRecord:
    """The signed-in player's stats and games (RecordsUnavailable when the database fails)."""
    try:
        with db_session() as database:
            stats = records.profile_stats(database, current_user.id)
            history = records.player_history(database, current_user.id)
    except SQLAlchemyError as error:
        logger.exception("database unavailable for the profile")
        raise RecordsUnavailable(RECORDS_UNAVAILABLE) from error
    return PlayerRecord(current_user.username, stats, history)


def player_history(period: records.Period) -> list[records.GameSummary]:
    """The signed-in player's games in `period` (RecordsUnavailable when the database fails)."""
    try:
        with db_session() as database:
            return records.player_history(database, current_user.id, period=period)
    except SQLAlchemyError as error:
        logger.exception("database unavailable for the game history")
        raise RecordsUnavailable(RECORDS_UNAVAILABLE) from error


def leaderboards(
    period: records.Period, level: str | None = None
) -> tuple[list[records.LeaderboardRow], list[records.LeaderboardRow]]:
    """The top players by wins and by points, against one opponent level or all (None);
    RecordsUnavailable when the database fails."""
    try:
        with db_session() as database:
            return (
                records.leaderboard(database, period, "wins", level=level),
                records.leaderboard(database, period, "points", level=level),
            )
    except SQLAlchemyError as error:
        logger.exception("database unavailable for the leaderboard")
        raise RecordsUnavailable(RECORDS_UNAVAILABLE) from error
