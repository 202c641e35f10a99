"""/admin: the accounts and their roles, the served model versions, the catalog in use.

Admins only: the layout is guarded here and the role forms post to a Flask route that checks the
role and the CSRF token itself (`cargame.accounts.admin`). No callbacks: nothing to guard in Dash.
"""

from __future__ import annotations

import dash
from dash import html

from cargame.accounts.guard import require_role
from cargame.web import admin_services
from cargame.web.components import admin_tables as shown
from cargame.web.components import widgets as ui
from cargame.web.layouts import records_layout

PATH = "/admin"

dash.register_page(__name__, path=PATH, title="Admin · Beat the AI", name="Admin")


@require_role("admin", PATH)
@records_layout
def layout(notice: str | None = None, **_query: str) -> html.Div:
    users, csrf_token = admin_services.users()
    return html.Div(
        [
            ui.page_heading("Admin", "Accounts and roles, the served model, the catalog."),
            shown.notice(notice),
            html.H2("Users", className="h5"),
            shown.users_table(users, csrf_token),
            html.H2("Served model versions", className="h5 mt-4"),
            shown.model_versions(admin_services.model_statuses()),
            html.H2("Catalog in use", className="h5 mt-4"),
            shown.catalog_card(admin_services.catalog_summary()),
        ]
    )
