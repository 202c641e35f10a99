"""The booth kiosk's pieces: the idle watcher, make and model tiles, the nickname form and the
"take your score home" QR card. Pure rendering; assets/booth.js runs the idle countdown."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from cargame.web import ids
from cargame.web.components.start import start_feedback
from cargame.web.components.widgets import count_word

RELOAD_SECONDS = 300  # the attract screen reloads this often, for today's fresh figures


def idle_guard(idle_seconds, countdown_seconds, csrf_token):
    """Watched by assets/booth.js: after `idle_seconds` without a touch or key it shows "Still
    playing?" for `countdown_seconds`, then posts the reset form (abandon, clear, attract)."""
    return html.Div(
        [
            html.Div(
                html.Div(
                    [
                        html.H2("Still playing?", className="display-5 fw-bold"),
                        html.P(
                            [
                                "Touch the screen to carry on. Starting over for the next "
                                "player in ",
                                html.Strong(str(countdown_seconds), id=ids.BOOTH_IDLE_COUNT),
                                " s.",
                            ],
                            className="fs-3",
                        ),
                        html.Button(
                            "I'm still playing",
                            type="button",
                            className="btn btn-primary btn-lg booth-touch px-5",
                        ),
                    ],
                    className="booth-idle-card",
                ),
                id=ids.BOOTH_IDLE_PROMPT,
                className="booth-idle-prompt",
                hidden=True,
                role="alertdialog",
                **{"aria-live": "assertive", "aria-modal": "true"},
            ),
            html.Form(
                dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
                id=ids.BOOTH_RESET_FORM,
                action="/next-player",
                method="post",
            ),
        ],
        id=ids.BOOTH_IDLE,
        **{
            "data-idle-seconds": str(idle_seconds),
            "data-countdown-seconds": str(countdown_seconds),
        },
    )


def tiles(component_id, options, value=None):
    """Large radio tiles: tap one, or Tab to the group and pick with the arrow keys."""
    return dbc.RadioItems(
        id=component_id,
        name=component_id,  # one radio group: Tab enters it once, the arrow keys choose
        options=options,
        value=value,
        className="booth-tiles",
        input_class_name="btn-check",
        label_class_name="btn btn-outline-primary booth-tile",
        label_checked_class_name="active",
    )


def make_options(makes):
    return [{"label": make, "value": make} for make in makes]


def model_options(models):
    """Tiles for (model name, picture URL or None) pairs: the showroom picture above the name."""
    return [
        {
            "label": html.Span(
                [
                    html.Img(src=url, alt="", className="booth-tile-picture") if url else None,
                    html.Span(model, className="booth-tile-name"),
                ],
                className="d-flex flex-column align-items-center gap-1",
            ),
            "value": model,
        }
        for model, url in models
    ]


def nickname_form(saved_name=None):
    """Optional: a name for today's booth leaderboard, no account needed."""
    if saved_name:
        return nickname_saved(saved_name)
    return html.Div(
        [
            html.H2("Put your name on today's board", className="h4 fw-bold"),
            html.P(
                "Optional, up to 16 characters; no account needed.",
                className="text-body-secondary",
            ),
            dbc.Label(
                "Nickname for today's booth leaderboard",
                html_for=ids.FINISH_NICKNAME,
                className="visually-hidden",
            ),
            dbc.InputGroup(
                [
                    dbc.Input(
                        id=ids.FINISH_NICKNAME,
                        maxlength=16,
                        placeholder="Your nickname",
                        autocomplete="off",
                        size="lg",
                    ),
                    dbc.Button(
                        "Save", id=ids.FINISH_NICKNAME_SAVE, color="primary", className="px-4"
                    ),
                ],
                size="lg",
            ),
            html.Div(id=ids.FINISH_NICKNAME_MESSAGE, role="status", className="mt-2"),
        ],
        className="booth-nickname",
    )


def nickname_saved(name):
    return dbc.Alert(
        [
            html.Span("✓", className="me-2", **{"aria-hidden": "true"}),
            "On today's board as ",
            html.Strong(name),
            ".",
        ],
        color="success",
        className="mb-0 fs-5",
    )


def take_home(qr_data_uri, minutes_text, url):
    """The QR code of the one-time link that keeps this game on the player's own phone."""
    return html.Div(
        [
            html.Img(
                src=qr_data_uri,
                id=ids.FINISH_CLAIM_QR,
                alt="QR code: open it on your phone to keep this game in your history",
                className="booth-qr",
                **{"data-claim-url": url},
            ),
            html.Div(
                [
                    html.H2("Take your score home", className="h4 fw-bold"),
                    html.P(
                        "Scan the code with your phone, then register or sign in there: this "
                        f"game goes into your history. The code works once, for {minutes_text}.",
                        className="mb-0",
                    ),
                ]
            ),
        ],
        className="booth-take-home d-flex align-items-center gap-4",
    )


def attract_screen(view, starter, rounds, cycle_seconds):
    """Full screen, large type, slides cycling every `cycle_seconds`; touching anywhere (or
    Enter) starts a game. `view` is a `booth_kiosk.AttractView`."""
    slides = [_hero_slide(rounds)]
    if view.available:
        slides.append(_tally_slide(view.tally))
    if view.top:
        slides.append(_top_slide(view.top))
    if view.sample is not None:
        slides.append(_sample_slide(view.sample))
    if view.hardest is not None:
        slides.append(_hardest_slide(view.hardest))
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.Div(slide, className=f"attract-slide slide-{index}")
                            for index, slide in enumerate(slides)
                        ],
                        id=ids.ATTRACT_DECK,
                        className="attract-deck show-0",
                    ),
                    html.Div(
                        "Touch anywhere to play",
                        className="attract-cta",
                    ),
                ],
                id=starter.start,
                className="attract",
                role="button",
                tabIndex=0,
                **{"aria-label": "Start a game: touch anywhere or press Enter"},
            ),
            html.Div(start_feedback(starter, rounds), className="attract-feedback"),
            dcc.Interval(id=ids.ATTRACT_TICK, interval=1000 * cycle_seconds),
            dcc.Store(
                id=ids.ATTRACT_COUNT,
                data={
                    "slides": len(slides),
                    "reload_after": max(1, RELOAD_SECONDS // cycle_seconds),
                },
            ),
        ]
    )


def _slide(kicker, title, *body):
    return [
        html.P(kicker, className="attract-kicker"),
        html.H1(title, className="attract-title"),
        *body,
    ]


def _hero_slide(rounds):
    return _slide(
        "Beat the AI · Car Edition",
        "Can you beat the AI?",
        html.P(
            f"{count_word(rounds).capitalize()} car photos. You and a neural network name the "
            "make and model. Who knows cars better?",
            className="attract-text",
        ),
    )


def _tally_slide(tally):
    if not tally.games:
        return _slide("Today at the booth", "No games yet today: be the first!")
    return _slide(
        "Today at the booth",
        html.Span(
            [
                html.Span("Humans ", className="attract-side"),
                html.Span(str(tally.human_wins), className="attract-number score-you"),
                html.Span(" : ", className="attract-colon"),
                html.Span(str(tally.ai_wins), className="attract-number score-ai"),
                html.Span(" AI", className="attract-side"),
            ]
        ),
        html.P(
            f"games won in {tally.games} games today"
            + (f", {tally.draws} drawn" if tally.draws else ""),
            className="attract-text",
        ),
    )


def _top_slide(top):
    return _slide(
        "Today's top scores",
        html.Ol(
            [
                html.Li(
                    [
                        html.Span(entry.name, className="attract-name"),
                        html.Span(
                            f"{entry.player_score} : {entry.ai_score}", className="attract-score"
                        ),
                    ]
                )
                for entry in top
            ],
            className="attract-board",
        ),
    )


def _sample_slide(sample):
    return _slide(
        "Where the AI looked",
        sample.car,
        html.Div(
            [
                html.Img(
                    src=sample.photo_url,
                    alt=f"Photo: {sample.car}",
                    className="attract-photo",
                ),
                html.Img(
                    src=sample.heatmap_url,
                    alt="The AI's heatmap of the same photo",
                    className="attract-photo",
                )
                if sample.heatmap_url
                else None,
            ],
            className="attract-photos",
        ),
    )


def _hardest_slide(hardest):
    return _slide(
        "The hardest car today",
        hardest.car,
        html.Div(
            html.Img(
                src=hardest.photo_url,
                alt=f"Photo: {hardest.car}",
                className="attract-photo",
            )
            if hardest.photo_url
            else None,
            className="attract-photos",
        ),
        html.P(
            (
                f"None of {hardest.shown} players named it. Can you?"
                if hardest.hits == 0
                else f"Only {hardest.hits} of {hardest.shown} players named it. Can you?"
            ),
            className="attract-text",
        ),
    )
