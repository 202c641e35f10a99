"""Run the web app: `cargame web` and the last step of `cargame run`.

One process with a threaded server is the embedded default; the scaled deployment runs the same
`create_app(config).server` under gunicorn instead.
"""

from __future__ import annotations

import logging

from cargame.app import create_app
from cargame.config import Config

logger = logging.getLogger(__name__)


def serve(config: Config, *, debug: bool = False) -> None:
    """Build the app and serve it on `[web] host`:`[web] port` until interrupted."""
    app = create_app(config)
    host, port = str(config.get("web", "host")), int(config.get("web", "port"))
    logger.info("cargame web app on http://%s:%d", host, port)
    # Threaded: a game start waits on the model server, which must not block other players.
    app.run(host=host, port=port, debug=debug, threaded=True, use_reloader=False)
