"""Server-side access control for Dash: callbacks by their output ids, and page layouts.

Hiding a page does not protect its callbacks: anyone can POST to `/_dash-update-component`.
Dash picks the callback to run by the request body's `output` key, so that key, and nothing the
client says about inputs, decides whether the current user may run it.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from dash import html
from flask import Flask, Response, current_app, has_request_context, request
from flask_login import current_user

from cargame.accounts.models import ROLES, Role

UPDATE_COMPONENT_PATH = "/_dash-update-component"  # any routes_pathname_prefix in front of it
EXTENSION = "cargame.guard"  # per app: component id (or pattern-matching id "type") -> role

LayoutFunction = Callable[..., Any]


def protect_output(server: Flask, component_id: str, role: Role = "player") -> str:
    """Allow callbacks that write to `component_id` only for users with `role` or above.

    Call it where the callback is registered, with that app's server. For pattern-matching ids
    (dicts), pass their "type". Returns the id.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    server.extensions.setdefault(EXTENSION, {})[component_id] = role
    return component_id


def output_ids(output: str) -> list[str]:
    """The component ids in Dash's callback key, e.g. `..a.children...b.style@x1..` -> [a, b]."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    ids = []
    for part in parts:
        component, _, _prop = part.rpartition(".")
        if component.startswith("{"):
            # A pattern-matching id; if it does not parse, the raw string stands.
            with contextlib.suppress(ValueError, AttributeError):
                component = str(json.loads(component).get("type", component))
        ids.append(component)
    return ids


def required_role(output: str) -> Role | None:
    """The strictest role any output of this callback key needs, or None if all are public."""
    protected: dict[str, Role] = current_app.extensions.get(EXTENSION, {})
    roles = [protected[component] for component in output_ids(output) if component in protected]
    return max(roles, key=ROLES.index) if roles else None


def user_has_role(role: Role) -> bool:
    """True if someone is signed in with `role` or a more privileged one."""
    return bool(current_user and current_user.is_authenticated and current_user.has_role(role))


def _refuse_forbidden_callbacks() -> Response | None:
    if request.method != "POST" or not request.path.endswith(UPDATE_COMPONENT_PATH):
        return None
    body = request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, str):
        return Response("malformed callback request", status=400, mimetype="text/plain")
    role = required_role(output)
    if role is None or user_has_role(role):
        return None
    if not (current_user and current_user.is_authenticated):
        return Response("sign in first", status=401, mimetype="text/plain")
    return Response("forbidden", status=403, mimetype="text/plain")


def register_callback_guard(server: Flask) -> None:
    """Refuse protected Dash callbacks to users without the role, before Dash runs them."""
    server.extensions.setdefault(EXTENSION, {})
    server.before_request(_refuse_forbidden_callbacks)


def access_denied(role: Role, path: str) -> html.Div:
    """What a protected page shows instead: a sign-in link that comes back to the page."""
    signed_in = bool(current_user and current_user.is_authenticated)
    message = f"This page needs the {role} role." if signed_in else "Sign in to see this page."
    return html.Div(
        [
            html.P(message, className="lead"),
            html.A("Sign in", href=f"/login?next={quote(path)}", className="btn btn-primary")
            if not signed_in
            else html.A("Back to the game", href="/", className="btn btn-secondary"),
        ],
        className="my-4",
    )


def require_role(role: Role, path: str) -> Callable[[LayoutFunction], LayoutFunction]:
    """Decorate a page's layout function: users without `role` get `access_denied` instead.

    Outside a request (Dash validating layouts at start-up) nobody is signed in, so the denied
    layout is returned and the page's data is never read.
    """

    def decorate(layout: LayoutFunction) -> LayoutFunction:
        @functools.wraps(layout)
        def guarded(**kwargs: Any) -> Any:
            if not has_request_context() or not user_has_role(role):
                return access_denied(role, path)
            return layout(**kwargs)

        return guarded

    return decorate
