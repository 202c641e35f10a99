"""Today's booth boards from hand-built games, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from cargame.booth import board
from cargame.booth.board import HardestCar, Tally
from cargame.booth.names import assign_nickname
from cargame.booth.settings import BoothSettings

from .conftest import NOON, add_game

START, END = NOON - timedelta(hours=12), NOON + timedelta(hours=12)
EXACT, MAKE, MISS = 2, 1, 0


def rounds(*points: tuple[int, int], truth: str = "Audi/A4") -> list[dict[str, object]]:
    """Rounds with these (player, AI) points."""
    return [{"player_points": p, "ai_points": a, "truth": truth} for p, a in points]


def test_top_scores_rank_by_points_then_lead_then_earliest(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        add_game(session, "low", rounds((MAKE, EXACT)))  # 1 : 2
        add_game(session, "lead", rounds((EXACT, MAKE), (EXACT, MISS)))  # 4 : 1
        add_game(session, "close", rounds((EXACT, EXACT), (EXACT, MISS)))  # 4 : 2
        later = NOON + timedelta(minutes=5)
        add_game(session, "late", rounds((EXACT, MAKE), (EXACT, MISS)), finished_at=later)
        add_game(session, "yesterday", rounds((EXACT, MISS)) * 3, finished_at=START - timedelta(1))
        add_game(session, "solo", rounds((EXACT, MISS)) * 3, mode="solo")
        add_game(session, "open", rounds((EXACT, MISS)) * 3, finished_at=None)
        assign_nickname(session, "lead", "Alex", date(2026, 3, 2))
        top = board.top_scores(session, START, END)
        assert board.top_scores(session, START, END, limit=2) == top[:2]
    assert [(line.rank, line.nickname, line.player_score, line.ai_score) for line in top] == [
        (1, "Alex", 4, 1),
        (2, None, 4, 1),  # the same score, finished later
        (3, None, 4, 2),
        (4, None, 1, 2),
    ]
    assert [line.winner for line in top] == ["player", "player", "player", "ai"]
    assert top[0].finished_at == NOON


def test_the_tally_counts_finished_booth_games_of_the_day(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert board.tally(session, START, END) == Tally()
        add_game(session, "won", rounds((EXACT, MISS)))
        add_game(session, "lost", rounds((MISS, EXACT), (MAKE, EXACT)))
        add_game(session, "lost again", rounds((MISS, MAKE)))
        add_game(session, "draw", rounds((MAKE, MAKE)))
        add_game(session, "open", rounds((EXACT, MISS)), finished_at=None)
        add_game(session, "solo", rounds((EXACT, MISS)), mode="solo")
        add_game(session, "tomorrow", rounds((EXACT, MISS)), finished_at=END)
        result = board.tally(session, START, END)
    assert result == Tally(human_wins=1, ai_wins=2, draws=1, games=4, human_points=4, ai_points=6)


def test_the_hardest_car_is_the_least_named_one_shown_often_enough(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        assert board.hardest_car(session, START, END) is None
        # BMW/M3: 1 of 3 exact; Ford/Focus: 1 of 4 exact; Volvo/V60: 0 of 2 (too few shown);
        # Audi/A4: 0 of 4, but in solo games and yesterday's booth games only.
        add_game(session, "a", rounds((EXACT, MISS), (MAKE, MISS), truth="BMW/M3"))
        add_game(session, "b", rounds((MISS, MISS), truth="BMW/M3"))
        add_game(session, "c", rounds((EXACT, MISS), (MISS, MISS), truth="Ford/Focus"))
        add_game(session, "d", rounds((MAKE, MISS), (MAKE, MISS), truth="Ford/Focus"))
        add_game(session, "e", rounds((MISS, MISS), (MISS, MISS), truth="Volvo/V60"))
        add_game(session, "f", rounds((MISS, MISS), (MISS, MISS), truth="Audi/A4"), mode="solo")
        add_game(
            session,
            "g",
            rounds((MISS, MISS), (MISS, MISS), truth="Audi/A4"),
            finished_at=START - timedelta(minutes=1),
        )
        hardest = board.hardest_car(session, START, END)
        assert hardest == HardestCar("Ford/Focus", shown=4, hits=1, image_id="c-1")
        assert board.hardest_car(session, START, END, min_shown=2) == HardestCar(
            "Volvo/V60", shown=2, hits=0, image_id="e-1"
        )
        assert board.hardest_car(session, START, END, min_shown=5) is None


def test_equally_hard_cars_prefer_the_one_shown_more(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        add_game(session, "a", rounds(*[(MISS, MISS)] * 3, truth="Audi/A4"))
        add_game(session, "b", rounds(*[(MISS, MISS)] * 4, truth="BMW/M3"))
        assert board.hardest_car(session, START, END) == HardestCar("BMW/M3", 4, 0, "b-1")


def test_rounds_of_unfinished_games_count_for_the_hardest_car(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        add_game(session, "open", rounds(*[(MISS, EXACT)] * 3, truth="BMW/M3"), finished_at=None)
        assert board.hardest_car(session, START, END) == HardestCar("BMW/M3", 3, 0, "open-1")


def test_recent_rounds_are_the_newest_booth_rounds(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert board.recent_rounds(session) == []
        add_game(session, "old", rounds((EXACT, MISS), (MISS, MISS)))
        add_game(
            session,
            "new",
            [
                {"truth": "BMW/M3", "guess": "BMW/X5", "ai_guess": "BMW/M3", "player_points": 1},
                {"truth": "Audi/A4", "guess": "Audi/A4", "ai_guess": "Ford/Focus"},
            ],
            finished_at=None,
            started_at=NOON + timedelta(minutes=1),
        )
        add_game(
            session, "solo", rounds((EXACT, MISS)), mode="solo", started_at=NOON + timedelta(1)
        )
        assign_nickname(session, "old", "Sam", date(2026, 3, 2))
        recent = board.recent_rounds(session, limit=3)
        since = board.recent_rounds(session, since=NOON)
    assert [(r.image_id, r.nickname) for r in recent] == [
        ("new-2", None),
        ("new-1", None),
        ("old-2", "Sam"),
    ]
    first = recent[1]
    assert (first.truth, first.guess, first.ai_guess) == ("BMW/M3", "BMW/X5", "BMW/M3")
    assert (first.player_points, first.ai_points) == (1, 0)
    assert recent[0].when == NOON + timedelta(minutes=1)  # not finished: its start
    assert recent[2].when == NOON
    assert [r.image_id for r in since] == ["new-2", "new-1"]


def test_a_day_is_the_fairs_day_not_utc(sessions: sessionmaker[Session]) -> None:
    """At a fair in Tokyo (UTC+9), 23:30 UTC on 1 March is already 2 March."""
    tokyo = ZoneInfo("Asia/Tokyo")
    settings = BoothSettings(True, 60, 10, False, tokyo, 6, 5, 900, "")
    start, end = settings.day_bounds(date(2026, 3, 2))
    with sessions() as session:
        add_game(
            session,
            "early",
            rounds((EXACT, MISS)),
            finished_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
        )
        add_game(session, "utc noon", rounds((EXACT, MISS)), finished_at=NOON)
        add_game(
            session,
            "late",
            rounds((EXACT, MISS)),
            finished_at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC),
        )
        assert board.tally(session, start, end).games == 2
        assert settings.today(datetime(2026, 3, 1, 23, 30, tzinfo=UTC)) == date(2026, 3, 2)
