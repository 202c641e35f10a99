"""Run the web app: `cargame web` and the last step of `cargame run`.

One process with waitress's thread pool is the embedded default; the scaled deployment runs the
same `create_app(config).server` under gunicorn instead (`cargame.wsgi:server`).
"""

from __future__ import annotations

import sys
from typing import Any

import waitress

from cargame.app import create_app
from cargame.config import Config

# A game start waits on the model server for up to a few seconds; enough threads that other
# players' page changes are not queued behind it.
THREADS = 16
PROXY_HEADERS = {"x-forwarded-for", "x-forwarded-proto"}


def waitress_options(config: Config) -> dict[str, Any]:
    """Threads, the body size limit and proxy trust for waitress, from `[web]`.

    Waitress drops X-Forwarded-* headers from untrusted peers before the app sees them, so with
    `[web] trusted_proxies = N` it must trust the last N proxies itself (any address: only the
    proxy can reach the app in that set-up); it then sets the client's address and scheme.
    """
    options: dict[str, Any] = {
        "threads": THREADS,
        "ident": "cargame",
        "max_request_body_size": int(config.get("web", "max_request_bytes")),
    }
    proxies = int(config.get("web", "trusted_proxies"))
    if proxies:
        options.update(
            trusted_proxy="*",
            trusted_proxy_count=proxies,
            trusted_proxy_headers=PROXY_HEADERS,
            clear_untrusted_proxy_headers=True,
        )
    return options


def serve(config: Config) -> None:
    """Build the app and serve it on `[web] host`:`[web] port` until interrupted."""
    app = create_app(config)
    host, port = str(config.get("web", "host")), int(config.get("web", "port"))
    print(f"\ncargame is running: open http://{host}:{port}  (Ctrl-C stops)\n", file=sys.stderr)
    waitress.serve(app.server, host=host, port=port, **waitress_options(config))
