"""Decorators for page layouts that depend on the game or the records.

A staged page is shown only at its game's stage (else a redirect); a records page shows a
notice instead of a 500 when the database is down. The layouts themselves stay pure rendering.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from dash import html
from dash.development.base_component import Component

from cargame.domain.game import GameData
from cargame.web import booth_kiosk, state
from cargame.web.components import booth
from cargame.web.components.widgets import redirect_notice, unavailable
from cargame.web.services import RecordsUnavailable

Render = Callable[[GameData, dict[str, Any]], Component]


def staged_layout(path: str) -> Callable[[Render], Callable[..., Component]]:
    """A page layout shown only at its game stage: `render(game, public_view)`, else a redirect."""

    def decorate(render: Render) -> Callable[..., Component]:
        # Dash Pages passes the routing state (`game`) and the query string as keywords.
        def layout(game: object = None, **_query: object) -> Component:
            current = state.load_game(game)
            redirect = stage_redirect(game, current, path)
            if redirect is not None or current is None:
                return redirect
            page = render(current, current.public_view())
            return with_idle_guard(page) if booth_kiosk.settings().enabled else page

        layout.__doc__ = render.__doc__
        return layout

    return decorate


def with_idle_guard(page: Component) -> Component:
    """A booth game page with the watcher that resets an abandoned screen (assets/booth.js)."""
    kiosk = booth_kiosk.settings()
    guard = booth.idle_guard(kiosk.idle_seconds, kiosk.countdown_seconds, booth_kiosk.reset_token())
    return html.Div([page, guard])


def stage_redirect(raw_pointer: object, game: GameData | None, path: str) -> Component | None:
    """A redirect when this page does not match the game's stage, else None."""
    if game is None:
        reason = "expired" if raw_pointer else "missing"
        return redirect_notice(f"/?notice={reason}", "No game to show here.")
    if game.expected_path != path:
        return redirect_notice(game.expected_path, "Taking you back to your game…")
    return None


def records_layout(layout: Callable[..., Component]) -> Callable[..., Component]:
    """A page layout that reads the records: a database failure shows a notice, not a 500."""

    @functools.wraps(layout)
    def guarded(*args: Any, **kwargs: Any) -> Component:
        try:
            return layout(*args, **kwargs)
        except RecordsUnavailable as error:
            return unavailable(str(error))

    return guarded
