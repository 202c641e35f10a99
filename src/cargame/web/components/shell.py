"""The page shell around every page: game store, navigator, header with the running score,
the account menu, footer. Pure rendering: the score and the menu are filled by callbacks."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from dash_extensions.enrich import DashProxy

from cargame.domain.game import GameData
from cargame.web import ids, state
from cargame.web.components import account_menu
from cargame.web.components.widgets import APP_TITLE


def shell(kiosk: bool = False, accounts: bool = True) -> Component:
    """The app layout around every page: game store, navigator, header, page, footer.

    On a booth `kiosk` the header has no links out of the game, and no account menu unless the
    kiosk offers `accounts`.
    """
    return html.Div(
        [
            dcc.Store(id=ids.GAME_STORE, storage_type="session"),
            dcc.Location(id=ids.NAVIGATE, refresh="callback-nav"),
            header(kiosk, accounts),
            html.Main(
                dbc.Container(dash.page_container, className="py-4", fluid=True if kiosk else None),
                id="main",
                className="flex-grow-1",
            ),
            None if kiosk else footer(),
        ],
        className="d-flex flex-column min-vh-100" + (" booth-kiosk" if kiosk else ""),
    )


def header(kiosk: bool = False, accounts: bool = True) -> Component:
    """Brand, navigation, the running score and who is signed in."""
    brand_mark = html.Span(className="brand-mark me-2", **{"aria-hidden": "true"})
    if kiosk:
        # Nothing that leads out of the game on a shared screen.
        return dbc.Navbar(
            dbc.Container(
                [
                    html.Span([brand_mark, APP_TITLE], className="navbar-brand fw-bold"),
                    html.Div(
                        scoreboard(None),
                        id=ids.SCOREBOARD,
                        role="status",
                        **{"aria-live": "polite"},
                    ),
                    account_menu.account_menu() if accounts else None,
                ],
                fluid=True,
                className="flex-wrap gap-2 booth-bar",
            ),
            color="dark",
            dark=True,
            className="shadow-sm",
        )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand([brand_mark, APP_TITLE], href="/", className="fw-bold"),
                dbc.Nav(
                    [
                        dbc.NavItem(dbc.NavLink("Play", href="/", active="exact")),
                        dbc.NavItem(dbc.NavLink("Showroom", href="/showroom", active="exact")),
                        dbc.NavItem(
                            dbc.NavLink("Leaderboard", href="/leaderboard", active="exact")
                        ),
                    ],
                    navbar=True,
                    # A row even on phones: three links do not need a collapsing menu.
                    className="me-auto flex-row gap-3",
                ),
                html.Div(
                    scoreboard(None),
                    id=ids.SCOREBOARD,
                    role="status",
                    **{"aria-live": "polite"},
                ),
                account_menu.account_menu(),
            ],
            fluid="lg",
            className="flex-wrap gap-2",
        ),
        color="dark",
        dark=True,
        className="shadow-sm",
    )


def scoreboard(game: GameData | None) -> Component:
    """`You 3 · 2 AI · Round 2/5`, or a hint when no game is running."""
    if game is None:
        return html.Span("No game in progress", className="text-white-50 small")
    progress = (
        "Final score"
        if game.stage == "finished"
        else f"Round {game.round_number}/{game.total_rounds}"
    )
    return html.Div(
        [
            html.Span(progress, className="scoreboard-round"),
            html.Span(["You ", html.Strong(str(game.player_score), className="score-you")]),
            html.Span("vs", className="text-white-50"),
            html.Span([html.Strong(str(game.ai_score), className="score-ai"), " AI"]),
        ],
        className="scoreboard d-flex align-items-center gap-2",
    )


def footer() -> Component:
    return html.Footer(
        dbc.Container(
            [
                html.Span(f"{APP_TITLE} · ", className="fw-semibold"),
                "A person and a neural network name the same cars. ",
                "The heatmaps are Grad-CAM explanations of the network's answer.",
            ],
            fluid="lg",
            className="small text-body-secondary py-3",
        ),
        className="border-top bg-body-tertiary mt-4",
    )


def register_shell_callbacks(app: DashProxy) -> None:
    """The header's running score, following a page's redirect, and the account menu."""

    @app.callback(Output(ids.SCOREBOARD, "children"), Input(ids.GAME_STORE, "data"))
    def show_score(game: GameData | None) -> object:
        return scoreboard(state.as_game(game))

    @app.callback(Output(ids.NAVIGATE, "href"), Input(ids.REDIRECT_LINK, "href"))
    def follow_redirect(href: str | None) -> str:
        # Only paths inside the app: the link is ours, but the endpoint takes any input.
        if not href or not href.startswith("/") or href.startswith("//"):
            raise PreventUpdate
        return href

    account_menu.register_account_menu(app)
