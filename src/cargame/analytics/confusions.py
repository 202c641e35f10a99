"""Confusions: what humans (or the AI) answered instead of the truth, as the most frequent
(truth -> guess) pairs and as confusion matrices, of makes and of the models within one make.

Rounds without an answer count as NO_ANSWER; answers of another make in a make's model matrix
count as OTHER_MAKE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from cargame.accounts.models import GameRound
from cargame.analytics.filters import Filters

Who = Literal["human", "ai"]
WHO: tuple[Who, ...] = ("human", "ai")
NO_ANSWER = "no answer"
OTHER_MAKE = "other make"
TOP_PAIRS = 15


@dataclass(frozen=True)
class Cell:
    """How many rounds showed `truth` and got `guess` (a label or a make)."""

    truth: str
    guess: str
    count: int


def _answer(who: Who) -> tuple[Any, Any]:
    """The (label, make) columns of the human's or the AI's answer."""
    if who == "human":
        return GameRound.guess, GameRound.guess_make
    if who == "ai":
        return GameRound.ai_guess, GameRound.ai_make
    raise ValueError(f"unknown answerer {who!r}")


def _counted(session: Session, filters: Filters, truth: Any, guess: Any, **options: Any) -> list:
    """Rounds per (truth, guess), most frequent first; `where` and `limit` narrow it.

    The answers are named in a subquery first, so GROUP BY names plain columns: PostgreSQL
    does not match an expression with bound parameters in SELECT to its copy in GROUP BY.
    """
    answers = select(truth.label("truth"), guess.label("guess")).select_from(GameRound)
    for condition in options.get("where", ()):
        answers = answers.where(condition)
    named = filters.on_rounds(answers).subquery()
    count = func.count()
    query = (
        select(named.c.truth, named.c.guess, count)
        .group_by(named.c.truth, named.c.guess)
        .order_by(count.desc(), named.c.truth, named.c.guess)
        .limit(options.get("limit"))
    )
    rows = session.execute(query).all()
    return [Cell(str(row[0]), str(row[1]), int(row[2])) for row in rows]


def top_pairs(session: Session, filters: Filters, who: Who, limit: int = TOP_PAIRS) -> list[Cell]:
    """The most frequent wrong (truth label -> answered label) pairs, "no answer" included."""
    label, _make = _answer(who)
    guess = func.coalesce(label, literal(NO_ANSWER))
    wrong = (label.is_(None)) | (label != GameRound.truth)
    return _counted(session, filters, GameRound.truth, guess, where=[wrong], limit=limit)


def make_matrix(session: Session, filters: Filters, who: Who) -> list[Cell]:
    """Rounds per (true make, answered make), right answers (the diagonal) included."""
    _label, make = _answer(who)
    guess = func.coalesce(make, literal(NO_ANSWER))
    return _counted(session, filters, GameRound.truth_make, guess)


def model_matrix(session: Session, filters: Filters, who: Who, make: str) -> list[Cell]:
    """Within one make: rounds per (true model, answered model), other makes lumped together."""
    label, answered_make = _answer(who)
    guess = case(
        (label.is_(None), literal(NO_ANSWER)),
        (answered_make == make, label),
        else_=literal(OTHER_MAKE),
    )
    return _counted(session, filters, GameRound.truth, guess, where=[GameRound.truth_make == make])
