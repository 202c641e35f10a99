# Web tier: Dash on Flask under gunicorn. No TensorFlow in this image.
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
ENV PATH=/opt/venv/bin:$PATH CARGAME_ROOT=/app CARGAME_CONFIG_DIR=/app/configs CARGAME_PROFILE=production
USER cargame
EXPOSE 8050
CMD ["gunicorn", "--workers", "4", "--bind", "0.0.0.0:8050", "--timeout", "60", "cargame.wsgi:server"]
