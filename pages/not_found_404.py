"""Shown for any URL that is not a page."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

dash.register_page(__name__, path="/404", title="Not found · Beat the AI")


def layout(**_query):
    return dbc.Card(
        dbc.CardBody(
            [
                html.H1("Wrong turn", className="h3 fw-bold"),
                html.P("There is no page at this address.", className="text-body-secondary"),
                dcc.Link("Back to the start", href="/", className="btn btn-primary"),
            ],
            className="p-4",
        ),
        className="shadow-sm border-0",
    )
