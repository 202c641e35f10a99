"""WSGI entry point: `gunicorn cargame.wsgi:server`, configured by CARGAME_* variables."""

from cargame.app import create_app
from cargame.config import load_config

server = create_app(load_config()).server
