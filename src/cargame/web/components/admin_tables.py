"""The /admin page's pieces: the users table with a role form per row, the served model
versions, the catalog in use, and the notice after a role change.

Pure rendering from plain values: the forms post to Flask (`accounts.admin`), not to Dash.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from cargame.accounts.admin import UserRow
from cargame.accounts.models import ROLES
from cargame.domain.catalog import SPLITS
from cargame.web.admin_services import CatalogSummary, ModelStatus
from cargame.web.ids import component_id

USERS = component_id("admin", "users")
MODELS = component_id("admin", "models")
CATALOG = component_id("admin", "catalog")
NOTICE = component_id("admin", "notice")

# Fixed texts by `?notice=` key: nothing from the URL is ever shown.
NOTICES = {
    "role-changed": ("The role was changed.", "success"),
    "last-admin": (
        "That is the last admin: make someone else an admin before changing this role.",
        "danger",
    ),
    "no-user": ("That user does not exist any more.", "warning"),
    "unavailable": ("The database is unavailable; nothing was changed.", "warning"),
}


def notice(key: str | None) -> Component | None:
    """The alert for a `?notice=` key after a role change, or None for any other value."""
    if key not in NOTICES:
        return None
    message, color = NOTICES[key]
    return dbc.Alert(message, id=NOTICE, color=color, className="mb-4", dismissable=True)


def role_form(row: UserRow, csrf_token: str) -> Component:
    """A plain form POST: pick a role, press "Change"."""
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
            html.Label(
                [
                    html.Span(f"Role of {row.username}", className="visually-hidden"),
                    dbc.Select(
                        name="role",
                        value=row.role,
                        options=[{"label": role, "value": role} for role in ROLES],
                        size="sm",
                        style={"width": "8rem"},
                    ),
                ]
            ),
            html.Button("Change", type="submit", className="btn btn-sm btn-outline-primary"),
        ],
        action=f"/admin/users/{row.user_id}/role",
        method="post",
        className="d-flex gap-2 align-items-center",
    )


def users_table(rows: list[UserRow], csrf_token: str) -> Component:
    """Username, role, creation date, finished games and the role form, one row per user."""
    header = html.Thead(
        html.Tr([html.Th(name) for name in ("User", "Role", "Created (UTC)", "Games", "")])
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(row.username),
                    html.Td(row.role),
                    html.Td(f"{row.created_at:%Y-%m-%d %H:%M}"),
                    html.Td(str(row.games_played), className="text-end"),
                    html.Td(role_form(row, csrf_token)),
                ]
            )
            for row in rows
        ]
    )
    return dbc.Table(
        [header, body], id=USERS, hover=True, responsive=True, className="align-middle"
    )


def model_versions(statuses: list[ModelStatus]) -> Component:
    """Per servable (one per opponent level): each version TF Serving reports with its state,
    or why it cannot be shown."""
    return html.Div([_servable(status) for status in statuses], id=MODELS)


def _servable(status: ModelStatus) -> Component:
    title = f"{status.level}: " if status.level else ""
    where = html.P(
        [f"{title}model {status.model_name!r} at ", html.Code(status.url)],
        className="small text-body-secondary mb-1",
    )
    if status.problem:
        body: Component = dbc.Alert(status.problem, color="warning")
    elif not status.versions:
        body = html.P("The model server reports no versions of this model.")
    else:
        body = dbc.Table(
            [
                html.Thead(html.Tr([html.Th("Version"), html.Th("State")])),
                html.Tbody([html.Tr([html.Td(v), html.Td(s)]) for v, s in status.versions]),
            ],
            size="sm",
        )
    return html.Div([where, body], className="mb-3")


def catalog_card(summary: CatalogSummary | None) -> Component:
    """The catalog's name, root, images per split and classes, or "no catalog"."""
    if summary is None:
        return html.Div(
            dbc.Alert("No catalog: import one before games can start.", color="warning"), id=CATALOG
        )
    facts = [
        ("Name", summary.name),
        ("Root", html.Code(str(summary.root))),
        ("Classes", str(summary.classes)),
        *((f"Images ({split})", str(summary.images_per_split.get(split, 0))) for split in SPLITS),
    ]
    return html.Dl(
        [
            part
            for label, value in facts
            for part in (html.Dt(label, className="col-sm-3"), html.Dd(value, className="col-sm-9"))
        ],
        id=CATALOG,
        className="row mb-0",
    )
