"""What the server-rendered pages (sign-in, register, claim, share) take from the web app.

Their templates (`accounts/templates/accounts/base.html`) draw the same dark header as the
Dash shell; on a booth kiosk it has no links out of the game, as the shell's has none.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from cargame.web import runtime


def init_app(server: Flask) -> None:
    """Give every template `kiosk` (True on a booth screen)."""
    server.context_processor(_page_context)


def _page_context() -> dict[str, Any]:
    current = current_app.extensions.get(runtime.EXTENSION)
    return {"kiosk": bool(current is not None and current.booth)}
