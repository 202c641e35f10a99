"""Malformed requests to Dash get a short JSON 400 (or 404, 413), never a 500, and cost little.

Dash trusts the body of `/_dash-update-component`: an unknown callback key, a missing list or a
value of the wrong type ends in an exception, and Python's JSON parser recurses on deep nesting.
Two checks run before Dash: the body (size, nesting depth, a JSON object naming its output), then
its shape against the callback it names (inputs and state as Dash registered them, value types a
browser would send for each property).
"""

from __future__ import annotations

import logging
from typing import Any

from dash.exceptions import DependencyException
from dash_extensions.enrich import DashProxy
from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from cargame.config import Config

logger = logging.getLogger(__name__)

UPDATE_COMPONENT_PATH = "/_dash-update-component"
EXTENSION = "cargame.dash"
MAX_JSON_DEPTH = 32  # a real callback body nests about 6 deep; pattern-matching ids a few more
MAX_OUTPUT_CHARS = 4_096  # the callback key of the app's widest callback is ~300 characters
OPENERS, CLOSERS = frozenset(b"[{"), frozenset(b"]}")
# What a browser sends for each property the app's callbacks read; anything else is forged.
SCALAR = (str, int, float, bool, type(None))
PROPERTY_TYPES: dict[str, tuple[type, ...]] = {
    "n_clicks": (int, type(None)),
    "n_intervals": (int, type(None)),
    "pathname": (str, type(None)),
    "href": (str, type(None)),
    "search": (str, type(None)),
    "hash": (str, type(None)),
    # Not "data": a forged game store value reads as "no game" (start over), like a bad pointer.
    "value": (*SCALAR, list),
}


class BadCallbackRequest(ValueError):
    """The request is not one the app's pages could have sent."""


def json_error(message: str, status: int = 400) -> Response:
    """`{"error": message}` with the status."""
    response = jsonify(error=message)
    response.status_code = status
    return response


def register(server: Flask, config: Config) -> None:
    """The size limit and the body check; call before anything else reads callback bodies."""
    server.config["MAX_CONTENT_LENGTH"] = int(config.get("web", "max_request_bytes"))
    server.before_request(_screen_body)
    server.register_error_handler(RequestEntityTooLarge, _too_large)
    server.register_error_handler(DependencyException, _no_such_file)


def register_shape_check(app: DashProxy) -> None:
    """The check against the app's callbacks; call after the Dash app exists."""
    app.server.extensions[EXTENSION] = app
    app.server.before_request(_screen_shape)
    for error in (TypeError, ValueError, LookupError, AttributeError):
        app.server.register_error_handler(error, _bad_values)


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text, without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in CLOSERS:
            depth -= 1
    return deepest


def _is_callback_post() -> bool:
    return request.method == "POST" and request.path.endswith(UPDATE_COMPONENT_PATH)


def _screen_body() -> Response | None:
    if not _is_callback_post():
        return None
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: RequestEntityTooLarge, 413
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        return json_error("callback request nested too deeply")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return json_error("callback request is not a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or not output or len(output) > MAX_OUTPUT_CHARS:
        return json_error("callback request names no output")
    return None


def _screen_shape() -> Response | None:
    if not _is_callback_post():
        return None
    app: DashProxy = current_app.extensions[EXTENSION]
    try:
        check_shape(request.get_json(silent=True) or {}, app.callback_map)
    except BadCallbackRequest as error:
        return json_error(str(error))
    return None


def check_shape(body: dict[str, Any], callbacks: dict[str, Any]) -> None:
    """Raise BadCallbackRequest unless `body` fits the callback it names."""
    callback = callbacks.get(body.get("output"))
    if callback is None or "callback" not in callback:  # unknown, or one that runs in the browser
        raise BadCallbackRequest("unknown callback")
    for part in ("inputs", "state"):
        given = body.get(part, [] if part == "state" else None)
        expected = callback.get(part, [])
        if not isinstance(given, list) or len(given) != len(expected):
            raise BadCallbackRequest(f"callback {part} do not match the callback")
        for entry in given:
            _check_entries(entry)
    _check_outputs(body.get("outputs"), str(body["output"]))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(item, str) for item in changed):
        raise BadCallbackRequest("changedPropIds must be a list of strings")


def _check_outputs(outputs: object, key: str) -> None:
    """One {id, property} for a single-output key, else a list with one per output."""
    expected = len(key[2:-2].split("...")) if key.startswith("..") else 1
    described = outputs if isinstance(outputs, list) else [outputs]
    if not isinstance(outputs, dict | list) or len(described) != expected:
        raise BadCallbackRequest("callback outputs missing or not the callback's")
    for item in described:
        entries = item if isinstance(item, list) else [item]  # pattern-matching ALL outputs
        if not all(isinstance(e, dict) and "id" in e and "property" in e for e in entries):
            raise BadCallbackRequest("callback output without an id or property")


def _check_entries(entry: object) -> None:
    # A pattern-matching ALL input sends a list of entries instead of one.
    entries = entry if isinstance(entry, list) else [entry]
    for item in entries:
        if not isinstance(item, dict) or not isinstance(item.get("property"), str):
            raise BadCallbackRequest("callback input without a property")
        if "id" not in item:
            raise BadCallbackRequest("callback input without an id")
        allowed = PROPERTY_TYPES.get(item["property"])
        value = item.get("value")
        if allowed is not None and not isinstance(value, allowed):
            raise BadCallbackRequest(f"unexpected value for {item['property']}")
        if isinstance(value, list) and not all(isinstance(part, SCALAR) for part in value):
            raise BadCallbackRequest(f"unexpected value for {item['property']}")


def _too_large(error: RequestEntityTooLarge) -> Response | RequestEntityTooLarge:
    if request.path.endswith(UPDATE_COMPONENT_PATH):
        return json_error("callback request too large", 413)
    return error


def _no_such_file(_error: DependencyException) -> Response:
    return json_error("no such file", 404)


def _bad_values(error: Exception) -> Response:
    """A callback that a well-formed but nonsensical request made fail: 400, logged."""
    if not _is_callback_post():
        raise error
    logger.warning("callback refused a malformed request: %s", error, exc_info=True)
    return json_error("callback request has values this page cannot use")
