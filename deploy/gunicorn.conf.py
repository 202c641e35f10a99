"""gunicorn settings for the web tier: `gunicorn -c deploy/gunicorn.conf.py cargame.wsgi:server`.

Used by the web image (Dockerfile) and by the local cluster (deploy/Procfile.cluster). The
address is `[web] host`:`[web] port` from the cargame config (CARGAME_WEB_HOST/_PORT);
`WEB_CONCURRENCY` and `GUNICORN_THREADS` size the pool. Logs are JSON, one object per line on
stdout: one per request (method, path, status, bytes, duration, nginx's request id) and
whatever the app logs.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
from typing import Any

from gunicorn import glogging

from cargame.config import load_config

_config = load_config()

bind = [f"{_config.get('web', 'host')}:{_config.get('web', 'port')}"]
# Threaded workers: a game start waits on TF Serving and the explainer for seconds; threads keep
# other players' page changes moving meanwhile (a sync worker would queue them behind it).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))

# The longest request is a game start: predict ([serving] timeout_seconds, 15 s) and then the
# heatmaps ([explainer] timeout_seconds, 30 s), so about 45 s before it answers "Try again".
GAME_START_SECONDS = float(_config.get("serving", "timeout_seconds")) + float(
    _config.get("explainer", "timeout_seconds")
)
# A worker silent this long is killed (gthread workers keep beating while a request waits).
timeout = 120
# On SIGTERM, requests in flight (a game start too) get this long to finish; compose's
# stop_grace_period (60 s) is longer, so nothing is cut off by SIGKILL.
graceful_timeout = 50
keepalive = 5  # nginx opens a connection per request; a short keep-alive is enough
# Without /dev/shm the heartbeat file would live on the container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
control_socket_disable = True  # no gunicornc control socket (gunicorn 25+): nothing uses it
accesslog = "-"

# Tokens in these paths are bearer secrets (a game's photos, a claim link): never logged.
SECRET_PATHS = re.compile(r"^/(media|claim|share)/[^/?]+")


def redacted(path: str) -> str:
    """The request path with a token that grants access replaced by `...`."""
    return SECRET_PATHS.sub(lambda match: f"/{match.group(1)}/...", path)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and any `extra={"fields": ...}`."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        entry: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class JsonAccessLogger(glogging.Logger):
    """gunicorn's logger with one JSON line per request instead of the Apache format."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        path = environ.get("PATH_INFO", "")
        status = int(str(resp.status).split(None, 1)[0])
        if path == "/healthz" and status == 200:
            return  # the container check every few seconds; only failures are news
        fields = {
            "method": environ.get("REQUEST_METHOD"),
            "path": redacted(path),
            "status": status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": environ.get("HTTP_X_REQUEST_ID"),
            "client": environ.get("HTTP_X_FORWARDED_FOR") or environ.get("REMOTE_ADDR"),
            "pid": os.getpid(),
        }
        self.access_log.info("request", extra={"fields": fields})


logger_class = JsonAccessLogger
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}
