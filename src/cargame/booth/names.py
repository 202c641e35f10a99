"""Nicknames on the booth's leaderboard: cleaned, checked for profanity, unique per fair day.

The profanity check is glin-profanity's English word list (offline, with leetspeak, separators
and look-alike letters folded). Names are unique per day by a suffix ("Alex", "Alex 2", ...);
the database's unique constraint on (day, name) settles races between kiosks.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date

from glin_profanity import Filter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cargame.accounts.models import BoothName, Game

NICKNAME_MAX_LENGTH = 16  # fits a leaderboard row on the wall; the suffix adds a few more
ALLOWED_PUNCTUATION = frozenset(" -_.")
PROFANITY_LANGUAGES = ["english"]  # others flag names (French lists "Peter"); add with care
SEPARATORS = re.compile(r"[-_.]+")
MAX_ATTEMPTS = 20  # suffix races lost in a row before giving up; two kiosks lose one at most


class NicknameError(ValueError):
    """A nickname that cannot be used; the message is meant for the player."""


@functools.cache
def _profanity_filter() -> Filter:
    return Filter(
        {"languages": PROFANITY_LANGUAGES, "detect_leetspeak": True, "leetspeak_level": "moderate"}
    )


def is_profane(name: str) -> bool:
    """True when the name, its words apart or run together, holds a swear word."""
    spaced = SEPARATORS.sub(" ", name)
    check = _profanity_filter().is_profane
    return any(check(variant) for variant in {name, spaced, spaced.replace(" ", "")})


def clean_nickname(raw: str | None) -> str | None:
    """The nickname as shown (trimmed, single spaces), None when empty; raises NicknameError."""
    name = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not name:
        return None
    if len(name) > NICKNAME_MAX_LENGTH:
        raise NicknameError(f"Please keep it to {NICKNAME_MAX_LENGTH} characters.")
    if not all(char.isalpha() or char.isdecimal() or char in ALLOWED_PUNCTUATION for char in name):
        raise NicknameError("Letters, digits, spaces, - _ and . only, please.")
    if not any(char.isalnum() for char in name):
        raise NicknameError("Please use at least one letter or digit.")
    if is_profane(name):
        raise NicknameError("Please pick a friendlier nickname.")
    return name


def assign_nickname(session: Session, game_id: str, raw: str | None, day: date) -> str:
    """Give a finished booth game its nickname for `day` and return it as stored.

    Taken names get the next free suffix ("Alex 2"); a game keeps its first nickname (a second
    call returns it). Raises NicknameError for a bad name or a game that may not have one.
    Commits.
    """
    name = clean_nickname(raw)
    if name is None:
        raise NicknameError("Please type a nickname.")
    game = session.get(Game, game_id)
    if game is None or game.mode != "booth" or game.status != "finished":
        raise NicknameError("Only a finished game at the booth can go on the leaderboard.")
    for _attempt in range(MAX_ATTEMPTS):
        existing = session.get(BoothName, game_id)
        if existing is not None:
            return existing.name
        stored = BoothName(game_id=game_id, day=day, name=_free_name(session, day, name))
        session.add(stored)
        try:
            session.commit()
        except IntegrityError:
            # Another kiosk took this name meanwhile (or named this game): look again.
            session.rollback()
            continue
        return stored.name
    raise NicknameError("The leaderboard is busy; please try again.")


def _free_name(session: Session, day: date, name: str) -> str:
    """`name`, or `name N` with the smallest free N; "alex" counts as taken by "Alex".

    A day's names are few (one per game played), and Python's casefold knows every alphabet
    where SQLite's lower() knows ASCII only, so they are compared here.
    """
    taken = {
        stored.casefold()
        for stored in session.scalars(select(BoothName.name).where(BoothName.day == day))
    }
    if name.casefold() not in taken:
        return name
    number = 2
    while f"{name} {number}".casefold() in taken:
        number += 1
    return f"{name} {number}"
