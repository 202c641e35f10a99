"""The header's account links: sign in and register, or the player's profile and sign out.

The sign-in pages are Flask routes, not Dash pages, so the links make the browser load them
(`external_link=True`) instead of routing inside Dash.
"""

from __future__ import annotations

from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import Input, Output, html
from dash.development.base_component import Component
from dash_extensions.enrich import DashProxy
from flask_login import current_user

from cargame.web import ids

ACCOUNT_MENU = ids.component_id("shell", "account")


def account_links(username: str | None, current_path: str = "/", role: str = "player") -> Component:
    """Links for a visitor (`username` None) or for a signed-in player; analysts and admins
    also get their workspaces."""
    if username is None:
        back = quote(current_path or "/", safe="/")
        items = [
            dbc.NavLink("Sign in", href=f"/login?next={back}", external_link=True),
            dbc.NavLink("Register", href=f"/register?next={back}", external_link=True),
        ]
    else:
        items = [dbc.NavLink(["Signed in as ", html.Strong(username)], href="/profile")]
        if role in ("analyst", "admin"):
            items.append(dbc.NavLink("Analytics", href="/analytics"))
        if role == "admin":
            items.append(dbc.NavLink("Admin", href="/admin"))
        items.append(dbc.NavLink("Sign out", href="/logout", external_link=True))
    # A row even on phones, like the main navigation.
    return dbc.Nav([dbc.NavItem(item) for item in items], navbar=True, className="flex-row gap-3")


def account_menu() -> Component:
    """The header slot; `register_account_menu` fills it for the current user."""
    return html.Div(account_links(None), id=ACCOUNT_MENU)


def register_account_menu(app: DashProxy) -> None:
    """Show the signed-in user's links, refreshed on every navigation."""

    @app.callback(Output(ACCOUNT_MENU, "children"), Input(ids.NAVIGATE, "pathname"))
    def show_account(pathname: str | None) -> Component:
        if not current_user.is_authenticated:
            return account_links(None, pathname or "/")
        return account_links(current_user.username, pathname or "/", current_user.role)
