"""Server-side sessions that end for good: a session id, once replaced or signed out, is revoked.

Flask-Session writes a session back at the end of every request that changed it. A request that
loaded the session before sign-out (or before sign-in replaced the id) and finishes after it
would write the old session back, and a copied cookie would work again. Revoked ids are kept,
for a session's lifetime, in the same backend as game state; a session with a revoked id is
never saved.

Static files (Dash's bundles, /assets/, photos by token) get no session at all: reading one
would cost a backend round trip per file and add `Vary: Cookie`, which makes nginx keep one
cached copy of each bundle per browser, i.e. none that another browser could use.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response, current_app, session
from flask.sessions import SessionInterface, SessionMixin

REVOKED = b"1"


class RevocableSessions(SessionInterface):
    """Wraps Flask-Session's interface; `revoke(sid)` stops that id from being saved again."""

    def __init__(
        self,
        inner: Any,
        revoked: Any,
        lifetime_seconds: int,
        sessionless_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.inner = inner
        self.revoked = revoked  # a cargame.web.state.Storage
        self.lifetime_seconds = lifetime_seconds
        self.sessionless_prefixes = sessionless_prefixes

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if self.sessionless_prefixes and request.path.startswith(self.sessionless_prefixes):
            return self.make_null_session(app)  # read-only and empty; Flask never saves it
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        sid = getattr(session, "sid", None)
        if sid and self.revoked.read(_key(sid)) is not None:
            # A request that started before sign-in or sign-out: its session is gone. Saving
            # it empty deletes whatever is stored under the id, and the browser's cookie.
            session.clear()
        self.inner.save_session(app, session, response)

    def regenerate(self, session: SessionMixin) -> None:
        """A new id for this session; the old one is revoked."""
        old = getattr(session, "sid", None)
        self.inner.regenerate(session)
        if old:
            self.revoke(old)

    def revoke(self, sid: str) -> None:
        self.revoked.write(_key(sid), REVOKED, self.lifetime_seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _key(sid: str) -> str:
    return f"revoked-{sid}"


def revoke_current_session() -> None:
    """Sign-out and "Next player": this session id may never be saved again."""
    sid = getattr(session, "sid", None)
    interface = current_app.session_interface
    if sid and isinstance(interface, RevocableSessions):
        interface.revoke(sid)
