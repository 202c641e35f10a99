"""Booth nicknames: cleaning, the profanity check, one per game, unique per day, under races."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cargame.accounts.models import BoothName, Game
from cargame.booth.names import NicknameError, assign_nickname, clean_nickname

from .conftest import add_game

DAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Alex  ", "Alex"),
        ("Anna   Lena\tK.", "Anna Lena K."),
        ("Zoë_99", "Zoë_99"),
        ("Jean-Luc", "Jean-Luc"),
        ("Ze\u0301ro", "Zéro"),  # combining accent composed: one character, allowed
        ("", None),
        ("   \n ", None),
        (None, None),
        ("Abcdefghijklmnop", "Abcdefghijklmnop"),  # 16: the longest
    ],
)
def test_clean_nicknames(raw: str | None, expected: str | None) -> None:
    assert clean_nickname(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("x" * 17, "16 characters"),
        ("<script>", "Letters, digits"),
        ("Alex!", "Letters, digits"),
        ("Bob\u202eevil", "Letters, digits"),  # a right-to-left override
        ("a\u200bb", "Letters, digits"),  # a zero-width space
        ("Bob 🚗", "Letters, digits"),
        ("---", "at least one letter"),
        ("fuck", "friendlier"),
        ("FuCk", "friendlier"),
        ("f4ck", "friendlier"),
        ("sh1t head", "friendlier"),
        ("xXx_sh1t_xXx", "friendlier"),
        ("s.h.i.t", "friendlier"),
        ("b i t c h", "friendlier"),
    ],
)
def test_unusable_nicknames_say_why(raw: str, message: str) -> None:
    with pytest.raises(NicknameError, match=message):
        clean_nickname(raw)


@pytest.mark.parametrize("name", ["Scunthorpe", "Cockburn", "Sussex", "Glass", "Peter", "Hancock"])
def test_ordinary_names_containing_swear_words_pass(name: str) -> None:
    assert clean_nickname(name) == name


def test_a_nickname_is_stored_with_its_day(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        add_game(session, "g1")
        assert assign_nickname(session, "g1", "  Alex ", DAY) == "Alex"
    with sessions() as session:
        stored = session.get(BoothName, "g1")
        assert stored is not None
        assert (stored.day, stored.name) == (DAY, "Alex")


def test_taken_names_get_the_next_free_suffix(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        for number in range(1, 6):
            add_game(session, f"g{number}")
        names = [
            assign_nickname(session, "g1", "Alex", DAY),
            assign_nickname(session, "g2", "Alex", DAY),
            assign_nickname(session, "g3", "alex", DAY),  # case does not make it another name
            assign_nickname(session, "g4", "Alex 2", DAY),  # "Alex 2" is taken by then
            assign_nickname(session, "g5", "Alex", date(2026, 3, 3)),  # a new day
        ]
    assert names == ["Alex", "Alex 2", "alex 3", "Alex 2 2", "Alex"]


def test_a_game_keeps_its_first_nickname(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        add_game(session, "g1")
        assert assign_nickname(session, "g1", "Alex", DAY) == "Alex"
        assert assign_nickname(session, "g1", "Sam", DAY) == "Alex"
        assert session.scalars(select(BoothName.name)).all() == ["Alex"]


@pytest.mark.parametrize(
    "facts",
    [
        {"finished_at": None},  # still being played
        {"finished_at": None, "status": "abandoned"},
        {"mode": "solo"},
    ],
)
def test_only_finished_booth_games_get_a_nickname(
    sessions: sessionmaker[Session], facts: dict[str, object]
) -> None:
    with sessions() as session:
        add_game(session, "g1", **facts)
        with pytest.raises(NicknameError, match="finished game at the booth"):
            assign_nickname(session, "g1", "Alex", DAY)
        with pytest.raises(NicknameError, match="finished game at the booth"):
            assign_nickname(session, "no-such-game", "Alex", DAY)
        assert session.scalars(select(BoothName)).all() == []


def test_a_bad_or_empty_name_stores_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        add_game(session, "g1")
        for raw in ("", "fuck", "x" * 40):
            with pytest.raises(NicknameError):
                assign_nickname(session, "g1", raw, DAY)
        assert session.scalars(select(BoothName)).all() == []


def test_the_database_refuses_a_second_name_of_a_day(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        add_game(session, "g1")
        add_game(session, "g2")
        session.add_all([BoothName(game_id=g, day=DAY, name="Alex") for g in ("g1", "g2")])
        with pytest.raises(IntegrityError):
            session.commit()


def test_deleting_a_game_deletes_its_nickname(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        add_game(session, "g1")
        assign_nickname(session, "g1", "Alex", DAY)
        session.execute(delete(Game).where(Game.id == "g1"))
        session.commit()
        assert session.scalars(select(BoothName)).all() == []


def test_kiosks_naming_at_once_get_different_names(sessions: sessionmaker[Session]) -> None:
    """Eight games named "Alex" at the same moment: eight names, none lost, none twice."""
    games = [f"g{number}" for number in range(8)]
    with sessions() as session:
        for game_id in games:
            add_game(session, game_id)
    barrier = threading.Barrier(len(games))
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def name(game_id: str) -> None:
        try:
            with sessions() as session:
                barrier.wait(timeout=10)
                results[game_id] = assign_nickname(session, game_id, "Alex", DAY)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=name, args=(game_id,)) for game_id in games]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results.values()) == sorted(["Alex", *(f"Alex {n}" for n in range(2, 9))])
    with sessions() as session:
        stored = {
            row.game_id: row.name
            for row in session.execute(select(BoothName.game_id, BoothName.name))
        }
    assert stored == results


def test_naming_one_game_twice_at_once_keeps_one_name(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        add_game(session, "g1")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def name(raw: str) -> None:
        with sessions() as session:
            barrier.wait(timeout=10)
            results.append(assign_nickname(session, "g1", raw, DAY))

    threads = [threading.Thread(target=name, args=(raw,)) for raw in ("Alex", "Sam")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2 and len(set(results)) == 1
