"""Every model the AI knows, with a reference picture, grouped by make."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from dash_extensions.enrich import DashProxy

from cargame.domain.catalog import CatalogError, display_name
from cargame.web import ids, services
from cargame.web.components import widgets as ui

ALL_MAKES = "all"
# Up to this many models the whole showroom is one page; bigger catalogs show one make at a
# time so a page change stays a few kilobytes.
SHOW_ALL_LIMIT = 40

dash.register_page(__name__, path="/showroom", title="Showroom · Beat the AI", name="Showroom")


def layout(**_query):
    try:
        groups = services.showroom()
    except CatalogError:
        return html.Div(
            [
                ui.page_heading("Showroom"),
                dbc.Alert("The garage is empty: no catalog has been set up yet.", color="info"),
            ]
        )
    small = sum(len(models) for models in groups.values()) <= SHOW_ALL_LIMIT
    options = [{"label": f"{make} ({len(groups[make])})", "value": make} for make in groups]
    if small:
        options.insert(0, {"label": "All makes", "value": ALL_MAKES})
    selected = ALL_MAKES if small else next(iter(groups), None)
    return html.Div(
        [
            ui.page_heading(
                "Showroom",
                "Every car the AI knows, one reference photo per model. "
                "None of these photos appears in a game.",
            ),
            html.Div(
                [
                    dbc.Label("Show", html_for=ids.SHOWROOM_MAKES, className="me-2 mb-0"),
                    dcc.Dropdown(
                        id=ids.SHOWROOM_MAKES,
                        options=options,
                        value=selected,
                        clearable=False,
                        className="showroom-filter",
                    ),
                ],
                className="d-flex align-items-center mb-4",
            ),
            html.Div(make_sections(groups, selected), id=ids.SHOWROOM_GRID),
        ]
    )


def make_sections(groups, selected):
    makes = list(groups) if selected == ALL_MAKES else [make for make in groups if make == selected]
    return [_make_section(make, groups[make]) for make in makes]


def _make_section(make, models):
    return html.Section(
        [
            html.H2(make, className="h4 fw-bold mb-3"),
            dbc.Row(
                [dbc.Col(_model_card(label, url), xs=6, md=4, lg=3) for label, url in models],
                className="g-3",
            ),
        ],
        className="mb-5",
    )


def _model_card(label, url):
    name = display_name(label)
    picture = (
        dbc.CardImg(src=url, alt=f"Reference photo of a {name}", top=True, className="showroom-img")
        if url
        else html.Div("No picture", className="showroom-img showroom-missing")
    )
    return dbc.Card(
        [picture, dbc.CardBody(html.Div(name, className="fw-semibold small"), className="p-2")],
        className="shadow-sm border-0 h-100",
    )


def register_callbacks(app: DashProxy) -> None:
    """This page's callbacks, on this app."""

    @app.callback(
        Output(ids.SHOWROOM_GRID, "children"),
        Input(ids.SHOWROOM_MAKES, "value"),
        prevent_initial_call=True,
    )
    def show_make(make: str | None) -> list:
        groups = services.showroom()
        small = sum(len(models) for models in groups.values()) <= SHOW_ALL_LIMIT
        if make == ALL_MAKES and not small:
            make = next(iter(groups), None)
        return make_sections(groups, make)
