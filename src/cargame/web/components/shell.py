"""The page shell around every page: game store, navigator, header with the running score,
the account menu, footer. Pure rendering: the score and the menu are filled by callbacks."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
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
            dcc.Store(id=ids.SCROLL_TOP),
            header(kiosk, accounts),
            html.Main(
                # Wide screens get wide pages, up to a readable limit (assets/cargame.css).
                dbc.Container(dash.page_container, className="py-4 page-width", fluid=True),
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
                dbc.NavbarBrand(
                    [
                        brand_mark,
                        "Beat the AI",
                        html.Span(" · Car Edition", className="d-none d-sm-inline"),
                    ],
                    href="/",
                    className="fw-bold me-2",
                ),
                # The score stays in sight on phones; the links fold into a menu there.
                html.Div(
                    scoreboard(None),
                    id=ids.SCOREBOARD,
                    role="status",
                    className="order-lg-last ms-auto ms-lg-3",
                    **{"aria-live": "polite"},
                ),
                dbc.NavbarToggler(id=ids.MENU_TOGGLE, className="ms-2"),
                dbc.Collapse(
                    [
                        dbc.Nav(
                            [
                                dbc.NavItem(dbc.NavLink("Play", href="/", active="exact")),
                                dbc.NavItem(
                                    dbc.NavLink("Showroom", href="/showroom", active="exact")
                                ),
                                dbc.NavItem(
                                    dbc.NavLink("Leaderboard", href="/leaderboard", active="exact")
                                ),
                            ],
                            navbar=True,
                            className="me-auto",
                        ),
                        account_menu.account_menu(),
                    ],
                    id=ids.MENU,
                    is_open=False,
                    navbar=True,
                ),
            ],
            fluid=True,
            className="page-width",
        ),
        color="dark",
        dark=True,
        expand="lg",
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
            fluid=True,
            className="small text-body-secondary py-3 page-width",
        ),
        className="border-top bg-body-tertiary mt-4",
    )


def register_shell_callbacks(app: DashProxy) -> None:
    """The header's running score, following a page's redirect, and the account menu."""

    # The phone menu: the toggler opens it, a page change closes it again.
    app.clientside_callback(
        """function (clicks, path, open) {
            var ctx = window.dash_clientside.callback_context;
            var byToggle = ctx.triggered.length && ctx.triggered[0].prop_id.indexOf("toggle") >= 0;
            return byToggle ? !open : false;
        }""",
        Output(ids.MENU, "is_open"),
        Input(ids.MENU_TOGGLE, "n_clicks"),
        Input("_pages_location", "pathname"),
        State(ids.MENU, "is_open"),
        prevent_initial_call=True,
    )

    # Every page opens at its top, not at the previous page's scroll position.
    app.clientside_callback(
        """function (path) {
            window.scrollTo({top: 0, left: 0, behavior: "instant"});
            return window.dash_clientside.no_update;
        }""",
        Output(ids.SCROLL_TOP, "data"),
        Input("_pages_location", "pathname"),
        prevent_initial_call=True,
    )

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
