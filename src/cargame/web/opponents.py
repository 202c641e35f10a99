"""The opponent levels as the web tier offers them: titles, measured accuracy, the last choice.

Each level's accuracy is read from its newest export's evaluation report (`[paths] models`), so
the start page says what was measured, never a number written into the code. A web server that
cannot see the models folder offers the levels without a figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, session

from cargame.domain.levels import Levels, measured_top1
from cargame.web.runtime import runtime

LEVEL_KEY = "cargame_level"  # in the browser's session: the level it played last


@dataclass(frozen=True)
class LevelChoice:
    """One level on the start page: its name, title and top-1 on the game split (if known)."""

    name: str
    title: str
    top1: float | None


def levels() -> Levels:
    """The levels on offer (`[levels]`)."""
    settings = runtime().settings
    return settings.levels or Levels.single(settings.model_name)


def level_choices() -> list[LevelChoice]:
    """Every level, weakest first, with its measured accuracy."""
    models_dir = runtime().config.path("models")
    return [
        LevelChoice(level.name, level.title, measured_top1(models_dir, level.servable))
        for level in levels().levels
    ]


def chosen_level() -> str:
    """The level this browser played last in its session, else the configured default."""
    remembered = session.get(LEVEL_KEY) if has_request_context() else None
    return levels().resolve(remembered).name


def remember_level(name: str) -> None:
    """Keep this browser's level for its next start page (its session only)."""
    session[LEVEL_KEY] = name


def title_of(name: str | None) -> str | None:
    """A level's title for display, None when the name is not on offer (or None)."""
    level = levels().get(name)
    return level.title if level is not None else None
