"""WSGI entry point: `gunicorn -c deploy/gunicorn.conf.py cargame.wsgi:server`.

Configured by CARGAME_* variables (the production profile in the web image and the cluster).
"""

from cargame.app import create_app
from cargame.config import load_config

server = create_app(load_config()).server
