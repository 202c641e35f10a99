# Web tier: Dash on Flask under gunicorn (gthread workers, deploy/gunicorn.conf.py). No
# TensorFlow in this image. Build from the repository root: docker build -t cargame-web .
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY model_service ./model_service
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir ".[deploy]"

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 cargame
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY configs ./configs
COPY pages ./pages
COPY assets ./assets
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py
ENV PATH=/opt/venv/bin:$PATH \
    CARGAME_ROOT=/app \
    CARGAME_CONFIG_DIR=/app/configs \
    CARGAME_PROFILE=production \
    PYTHONUNBUFFERED=1
USER cargame
# [web] port in the production profile; nginx is the only client (deploy/nginx).
EXPOSE 8050
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/healthz', timeout=4)"]
# SIGTERM (docker stop) lets requests in flight finish within gunicorn's graceful_timeout.
CMD ["gunicorn", "--config", "/app/deploy/gunicorn.conf.py", "cargame.wsgi:server"]
