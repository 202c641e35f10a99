"""Clients for the external services (TF Serving, explainer), one module each.

The aiohttp session, base URL and timeout are always passed in. This module holds the JSON
request loop they share: status and `{"error": ...}` checks, a timeout in seconds and one retry.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

RETRY_BACKOFF_SECONDS = 0.25  # long enough for a restarting server, short for a waiting player
ATTEMPTS = 2  # the first try plus one retry on connection errors and 5xx answers
ERROR_SNIPPET_CHARS = 300  # how much of a non-JSON error body goes into the message


class ServiceError(RuntimeError):
    """An external service failed; each client raises its own subclass. `status` is the HTTP
    status of a 4xx answer (None for other failures)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Retryable(Exception):
    """A failure worth one more try: the connection broke or the server answered 5xx."""


def model_path(base_url: str, model_name: str, version: int | None) -> str:
    """`<base>/v1/models/<name>[/versions/<v>]`, the TF Serving resource of a model."""
    url = f"{base_url.rstrip('/')}/v1/models/{model_name}"
    return url if version is None else f"{url}/versions/{version}"


async def request_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    timeout: float,
    error_type: type[ServiceError],
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Send one JSON request (retried once on connection errors and 5xx) and return the body."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _request_once(session, method, url, timeout, error_type, payload)
        except _Retryable as failure:
            if attempt == ATTEMPTS:
                raise error_type(str(failure)) from failure.__cause__
            await asyncio.sleep(RETRY_BACKOFF_SECONDS * attempt)
    raise AssertionError("unreachable: the loop returns or raises")


async def _request_once(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    timeout: float,
    error_type: type[ServiceError],
    payload: dict[str, Any] | None,
) -> dict[str, Any]:
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    try:
        async with session.request(method, url, json=payload, timeout=client_timeout) as response:
            text = await response.text()
            status = response.status
    # Timeouts are not retried: a second wait would double the player's wait for the same answer.
    except TimeoutError as error:
        raise error_type(f"{method} {url} did not answer within {timeout:g} s") from error
    except aiohttp.ClientConnectionError as error:
        raise _Retryable(f"cannot reach {url}: {error or type(error).__name__}") from error
    except aiohttp.ClientError as error:
        raise error_type(f"{method} {url} failed: {error}") from error
    return _parse_body(method, url, status, text, error_type)


def _parse_body(
    method: str, url: str, status: int, text: str, error_type: type[ServiceError]
) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    message = body.get("error") if isinstance(body, dict) else None
    detail = str(message) if message else text[:ERROR_SNIPPET_CHARS].strip()
    if status >= 500:
        raise _Retryable(f"{method} {url} answered HTTP {status}: {detail}")
    if status >= 400:
        raise error_type(f"{method} {url} answered HTTP {status}: {detail}", status)
    if not isinstance(body, dict):
        raise error_type(f"{method} {url} did not answer with a JSON object: {detail}")
    if message:
        raise error_type(f"{method} {url} reported an error: {message}")
    return body
