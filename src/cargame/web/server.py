"""Run the web app: `cargame web` and the last step of `cargame run`.

One process with waitress's thread pool is the embedded default; the scaled deployment runs the
same `create_app(config).server` under gunicorn instead (`cargame.wsgi:server`).
"""

from __future__ import annotations

import sys

import waitress

from cargame.app import create_app
from cargame.config import Config

# A game start waits on the model server for up to a few seconds; enough threads that other
# players' page changes are not queued behind it.
THREADS = 16


def serve(config: Config) -> None:
    """Build the app and serve it on `[web] host`:`[web] port` until interrupted."""
    app = create_app(config)
    host, port = str(config.get("web", "host")), int(config.get("web", "port"))
    print(f"\ncargame is running: open http://{host}:{port}  (Ctrl-C stops)\n", file=sys.stderr)
    waitress.serve(app.server, host=host, port=port, threads=THREADS, ident="cargame")
