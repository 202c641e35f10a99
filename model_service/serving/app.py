"""The aiohttp application skeleton the model server and the explainer share.

Each server adds its own verb (`:predict`, `:explain`) to the same frame: a model repository that
loads the newest versions at start-up and polls for new ones, the model status route, TF Serving's
error bodies, a thread pool for the CPU-bound work, and the same start-up log and access log.
No TensorFlow here: each server passes in the function that loads one version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import web

from model_service.serving import webio
from model_service.serving.repository import ModelRepository

log = logging.getLogger(__name__)

REPOSITORY = web.AppKey("repository", ModelRepository)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
MAX_IMAGE_PIXELS = web.AppKey("max_image_pixels", int)


def create_app(
    models_dir: Path,
    load: Callable[[str, int, Path], Any],
    *,
    threads: int,
    thread_name: str,
    max_body_bytes: int,
    max_image_pixels: int,
    poll_seconds: float,
) -> web.Application:
    """An application whose models load when it starts (not before) and follow new exports."""
    app = web.Application(client_max_size=max_body_bytes, middlewares=[webio.error_middleware])
    app[REPOSITORY] = ModelRepository(Path(models_dir), load)
    app[EXECUTOR] = ThreadPoolExecutor(threads, thread_name_prefix=thread_name)
    app[MAX_IMAGE_PIXELS] = max_image_pixels
    app.cleanup_ctx.append(_watch_models(poll_seconds))
    app.on_cleanup.append(_shutdown_executor)
    return app


def _watch_models(poll_seconds: float) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context: load models at start-up, then poll for new versions until shutdown."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        repository = app[REPOSITORY]
        await repository.refresh()
        task = asyncio.create_task(repository.watch(poll_seconds))
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    return context


async def _shutdown_executor(app: web.Application) -> None:
    app[EXECUTOR].shutdown(wait=False, cancel_futures=True)


def requested_model(request: web.Request) -> Any:
    """The loaded version a `/v1/models/{name}[/versions/{v}]` URL names (404 when unknown)."""
    name, version = model_and_version(request)
    return request.app[REPOSITORY].get(name, version)


def model_and_version(request: web.Request) -> tuple[str, int | None]:
    return request.match_info["name"], webio.parse_version(request.match_info.get("version"))


async def run_in_executor(request: web.Request, work: Callable[..., Any], *args: Any) -> Any:
    """Run CPU-bound work on the application's thread pool, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR], work, *args)


async def model_status(request: web.Request) -> web.Response:
    """GET /v1/models/{name}[/versions/{v}]: GetModelStatusResponse as JSON."""
    name, version = model_and_version(request)
    return webio.json_response(request.app[REPOSITORY].status(name, version))


def add_model_routes(
    app: web.Application,
    verb: str,
    handler: webio.Handler,
    *,
    metadata: webio.Handler | None = None,
) -> None:
    """Status, optional metadata and `:verb` routes, with and without `/versions/{v}`."""
    base = r"/v1/models/{name:[^/:]+}"
    for prefix in (base, base + r"/versions/{version:\d+}"):
        app.router.add_get(prefix, model_status)
        if metadata is not None:
            app.router.add_get(prefix + "/metadata", metadata)
        app.router.add_post(prefix + ":" + verb, handler)
    app.router.add_route("*", "/v1/{tail:.*}", webio.malformed_request)


def run(app: web.Application, *, host: str, port: int, description: str) -> None:
    """Serve `app` on host:port until interrupted, logging like TF Serving's access log."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log.info("%s on http://%s:%d", description, host, port)
    web.run_app(app, host=host, port=port, access_log_format=webio.ACCESS_LOG_FORMAT, print=None)
