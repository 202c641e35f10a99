"""Application factory: Flask server, extensions, session-bound game state, Dash Pages.

`create_app(config)` returns the `DashProxy`; its Flask server is `app.server` (what a WSGI
server runs). Everything the app owns at run time (runtime, game backend, database, callback
guard) lives in its `extensions`, so several apps in one process (tests) share nothing. Page
modules in `<root>/pages` are imported by Dash while the app is built, never before, and each
registers its callbacks on this app through its `register_callbacks(app)`.
"""

from __future__ import annotations

import functools
import os
import secrets
import sys
from pathlib import Path

import dash
from dash import State
from dash_extensions.enrich import DashProxy, MultiplexerTransform, ServersideOutputTransform
from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from cargame.accounts import auth as accounts_auth
from cargame.accounts.sessions import RevocableSessions
from cargame.config import Config, ConfigError
from cargame.web import (
    analytics_export,
    bad_requests,
    compression,
    extensions,
    flask_pages,
    health,
    ids,
    media,
    runtime,
    share,
    state,
)
from cargame.web.components import shell
from cargame.web.components.widgets import APP_TITLE

SECRET_FILE = "secret_key"  # under [paths] var, for the default profile only
SECRET_BYTES = 32
MIN_SECRET_LENGTH = 16  # a configured key shorter than this is a placeholder, not a secret
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(config: Config) -> DashProxy:
    """The whole web app for a config; serve `create_app(config).server`."""
    server = create_server(config)
    register_extensions(server, config)
    # Migrations, flask-login, /login /register /logout and the callback guard, before Dash.
    accounts_auth.register_accounts(server, config)
    games = state.init_app(server, config)
    register_blueprints(server)
    app = create_dash(server, config, state.create_transform(games))
    register_page_callbacks(app)
    shell.register_shell_callbacks(app)
    bad_requests.register_shape_check(app)
    return app


def create_server(config: Config) -> Flask:
    """The Flask server with session cookie settings and security headers."""
    server = Flask("cargame")
    bad_requests.register(server, config)  # first: nothing may read a callback body before it
    configure_sessions(server, config)
    compression.configure(server)

    proxies = int(config.get("web", "trusted_proxies"))
    if proxies:
        # Behind nginx: the client's address (login throttling) and scheme come from the
        # X-Forwarded-* headers set by exactly this many trusted proxies.
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=proxies, x_proto=proxies)

    @server.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @server.after_request
    def cache_fingerprinted_assets(response: Response) -> Response:
        # Dash links /assets/ files with `?m=<modified time>`: a new file gets a new URL, so
        # those URLs may be cached for a year (Dash already does so for its bundles).
        if (
            request.path.startswith("/assets/")
            and "m" in request.args
            and response.status_code == 200
        ):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    return server


def configure_sessions(server: Flask, config: Config) -> None:
    """Server-side sessions (Flask-Session) in the configured backend, so a session can end.

    The cookie holds only a random session id: HttpOnly, SameSite, Secure over HTTPS, and no
    expiry (it ends with the browser; the server forgets it after `[web] session_ttl_seconds`).
    Sign-in, registration, sign-out and "Next player" replace the id (`accounts.auth`).
    """
    server.config.update(
        SECRET_KEY=secret_key(config),
        SESSION_COOKIE_NAME="cargame_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(config.get("web", "https")),
        SESSION_PERMANENT=False,
        PERMANENT_SESSION_LIFETIME=int(config.get("web", "session_ttl_seconds")),
        SESSION_KEY_PREFIX="cargame:session:",
        # Only changed sessions are written back, and never one whose id was revoked.
        SESSION_REFRESH_EACH_REQUEST=False,
        **extensions.session_settings(config),
    )
    extensions.server_sessions.init_app(server)
    server.session_interface = RevocableSessions(
        server.session_interface,
        state.create_storage(config, "revoked-sessions"),
        int(config.get("web", "session_ttl_seconds")),
        sessionless_prefixes=state.STATIC_PREFIXES,
    )


def secret_key(config: Config) -> str:
    """`[web] secret_key`; when empty in the default profile, one kept in `[paths] var`.

    Every other profile must set it: workers and restarts need the same key to read sessions.
    """
    configured = str(config.get("web", "secret_key"))
    if config.profile == "default" and not configured:
        return _kept_secret(config)
    if len(configured) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"[web] secret_key (CARGAME_WEB_SECRET_KEY) of at least {MIN_SECRET_LENGTH} "
            f"characters is required in the {config.profile!r} profile, "
            "the same value in every web process"
        )
    return configured


def _kept_secret(config: Config) -> str:
    path = config.path("var") / SECRET_FILE
    if not path.is_file():
        _write_new_secret(path)
    return path.read_text(encoding="utf-8").strip()


def _write_new_secret(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting together keep whichever key was written first.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(SECRET_BYTES))


def register_extensions(server: Flask, config: Config) -> None:
    """The media cache and this app's runtime (catalog, media store, progress board)."""
    extensions.media_cache.init_app(server, config=extensions.media_cache_settings(config))
    runtime.init_app(server, config)


def register_blueprints(server: Flask) -> None:
    """`/media/<token>` (photos and heatmaps by opaque URL), the analysts' export route, the
    shared result cards (`/share/<token>`) and the Flask pages' header."""
    server.register_blueprint(media.media_blueprint(lambda: runtime.runtime().media))
    server.register_blueprint(analytics_export.blueprint)
    server.register_blueprint(share.blueprint)
    health.init_app(server)  # /healthz for container checks and load balancers
    flask_pages.init_app(server)


def create_dash(server: Flask, config: Config, transform: ServersideOutputTransform) -> DashProxy:
    """The Dash app on the server; importing `<root>/pages` happens here."""
    app = DashProxy(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(config.root / "pages"),
        assets_folder=str(config.root / "assets"),
        transforms=[transform, MultiplexerTransform()],
        include_global_callbacks=False,
        # Pages are rendered from the game's stage, so not every id exists in every layout.
        suppress_callback_exceptions=True,
        routing_callback_inputs={"game": State(ids.GAME_STORE, "data")},
        title=APP_TITLE,
        update_title=None,
        serve_locally=True,
        # gzip (or brotli) of the bundles and callback JSON, in the embedded server too.
        compress=bool(config.get("web", "compress")),
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    kiosk = runtime.runtime_of(server).booth_settings
    app.layout = functools.partial(shell.shell, kiosk.enabled, kiosk.accounts)
    return app


def register_page_callbacks(app: DashProxy) -> None:
    """Each page module's `register_callbacks(app)`, on this app only."""
    for page in dash.page_registry.values():
        module = sys.modules.get(page["module"])
        register = getattr(module, "register_callbacks", None)
        if register is not None:
            register(app)
