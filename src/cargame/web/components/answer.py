"""The cards of a round's answer: the photo, where the AI looked, both guesses, the AI's top five.

Built from `GameData.public_view()["round"]` after the guess is locked in.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from cargame.domain.catalog import display_name
from cargame.web import ids
from cargame.web.components import top5_chart
from cargame.web.components import widgets as ui
from cargame.web.media import media_url

SHOWN, HIDDEN = "heatmap-panel", "heatmap-panel d-none"


HEADLINES = {
    "player": "You won this round!",
    "ai": "The AI took this round",
    "draw": "A tie this round",
    "timeout": "Time's up: no answer, 0 points",
}


def verdict(answer):
    you, ai = answer["player_points"], answer["ai_points"]
    if you > ai:
        return f"You won this round, {you} to {ai}."
    if ai > you:
        return f"The AI took this round, {ai} to {you}."
    return f"A tie this round: {you} each."


def _headline(answer):
    if answer.get("timed_out"):
        return HEADLINES["timeout"]
    you, ai = answer["player_points"], answer["ai_points"]
    return HEADLINES["player" if you > ai else "ai" if ai > you else "draw"]


def verdict_card(answer, number, total, next_button):
    """First on the page: a large verdict, the car, both answers with points, and "Next"."""
    you, ai = answer["player_points"], answer["ai_points"]
    tone = "win" if you > ai else "loss" if ai > you else "draw"
    top = answer["ai_top5"][0] if answer["ai_top5"] else None
    ai_text = ui.car_name(answer["ai_guess"])
    if top is not None:
        ai_text += f" ({top['probability']:.0%} sure)"
    facts = [
        ("The car", html.Strong(display_name(answer["truth"])), None),
        (
            "You said",
            "time ran out" if answer.get("timed_out") else ui.car_name(answer["guess"]),
            you,
        ),
        ("The AI said", ai_text, ai),
    ]
    return dbc.Card(
        dbc.CardBody(
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.P(
                                f"Round {number} of {total}",
                                className="text-primary fw-semibold mb-1",
                            ),
                            html.H1(
                                _headline(answer),
                                className=f"verdict verdict-{tone} fw-bold mb-1",
                            ),
                            html.P(verdict(answer), className="visually-hidden"),
                            html.Div(
                                [
                                    html.Div(
                                        [
                                            html.Div(title, className="small text-body-secondary"),
                                            html.Div(value, className="fs-5 answer-value"),
                                            ui.points_badge(points) if points is not None else None,
                                        ],
                                        className="answer-fact",
                                    )
                                    for title, value, points in facts
                                ],
                                className="answer-facts list-group",
                            ),
                        ],
                        lg=9,
                    ),
                    dbc.Col(next_button, lg=3, className="mt-3 mt-lg-0"),
                ],
                className="align-items-center",
            ),
            className="p-3 p-lg-4",
        ),
        className="hero-card shadow-sm border-0 mb-4",
    )


def pictures(answer, number, pending=False, poll_seconds=1.0):
    """The photo, where the AI looked and where it should have looked, side by side.

    `pending`: the heatmaps are still being made, so both heatmap cards show a spinner and an
    interval polls for them every `poll_seconds` (see `pages/result.py`)."""
    truth = display_name(answer["truth"])
    return dbc.Row(
        [
            dbc.Col(
                _picture_card(
                    "The photo",
                    ui.photo(media_url(answer["image_token"]), f"Round {number} photo: {truth}"),
                ),
                lg=4,
                className="mb-4",
            ),
            dbc.Col(
                _picture_card(
                    "Where the AI looked",
                    html.Div(
                        heatmap_waiting() if pending else ai_heatmap(answer),
                        id=ids.RESULT_AI_PICTURE,
                    ),
                ),
                lg=4,
                className="mb-4",
            ),
            dbc.Col(
                _picture_card(
                    "Where it should have looked",
                    html.Div(
                        _truth_waiting() if pending else truth_heatmap(answer),
                        id=ids.RESULT_TRUTH_PICTURE,
                    ),
                ),
                lg=4,
                className="mb-4",
            ),
            dcc.Interval(id=ids.RESULT_HEATMAP_POLL, interval=int(1000 * poll_seconds))
            if pending
            else None,
        ]
    )


def heatmap_waiting():
    """A spinner in place of the AI's heatmap while the explainer draws it."""
    return html.Div(
        [
            dbc.Spinner(size="sm", color="primary", spinner_class_name="me-2"),
            "Drawing where the AI looked…",
        ],
        className="heatmap-waiting text-body-secondary",
        role="status",
    )


def _truth_waiting():
    return html.P("Coming with the AI's heatmap…", className="small text-body-secondary mb-0")


def _picture_card(title, body):
    return dbc.Card(
        [dbc.CardHeader(html.H2(title, className="h6 mb-0")), dbc.CardBody(body)],
        className="shadow-sm border-0 h-100",
    )


def ai_heatmap(answer):
    """Where the AI looked for its answer, or why there is no heatmap."""
    token, ai_label = answer["heatmap_token"], answer["ai_guess"]
    if token is None:
        return html.Div(
            [
                html.P("Explanation unavailable", className="fw-semibold mb-1"),
                html.P(
                    "The explainer did not answer for this photo, so there is no heatmap "
                    "this round. The scores are not affected.",
                    className="small mb-0",
                ),
            ],
            className="heatmap-unavailable text-body-secondary",
        )
    return html.Div(
        [
            ui.photo(
                media_url(token),
                f"Heatmap of where the AI looked for its answer, {ui.car_name(ai_label)}",
            ),
            html.P(
                f"For its answer: {ui.car_name(ai_label)}",
                className="small text-body-secondary mt-2 mb-0",
            ),
        ],
        id=ids.RESULT_AI_HEATMAP,
        className=SHOWN,
    )


def truth_heatmap(answer):
    """Where it should have looked (behind a switch), or why there is none."""
    truth = display_name(answer["truth"])
    truth_token = answer["truth_heatmap_token"]
    if truth_token is None:
        if answer["heatmap_token"] is not None and answer["ai_guess"] == answer["truth"]:
            note = "The AI was right, so where it looked is where it should have looked."
        else:
            note = "No heatmap for the true car this round."
        return html.P(note, className="small text-body-secondary mb-0")
    return html.Div(
        [
            html.Div(
                [
                    ui.photo(media_url(truth_token), f"Heatmap for the true car, {truth}"),
                    html.P(
                        f"To see a {truth}",
                        className="small text-body-secondary mt-2 mb-0",
                    ),
                ],
                id=ids.RESULT_TRUTH_HEATMAP,
                className=HIDDEN,
            ),
            dbc.Switch(
                id=ids.RESULT_TRUTH_SWITCH,
                label="Show where it should have looked (the true car)",
                value=False,
                className="mt-2",
            ),
        ]
    )


def legend_card():
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Reading the heatmaps", className="h6 mb-0")),
            dbc.CardBody(ui.heatmap_legend()),
        ],
        className="shadow-sm border-0 h-100",
    )


def chart_card(answer):
    predictions, truth = answer["ai_top5"], answer["truth"]
    guess = None if answer.get("timed_out") else answer["guess"]
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("The AI's top five", className="h6 mb-0")),
            dbc.CardBody(
                [
                    dcc.Graph(
                        id=ids.RESULT_CHART,
                        figure=top5_chart.figure(predictions, truth, guess),
                        config={"displayModeBar": False, "responsive": True},
                        style={"height": f"{top5_chart.height_px(predictions, truth, guess)}px"},
                    ),
                    html.Ol(
                        [html.Li(line) for line in top5_chart.spoken(predictions, truth, guess)],
                        className="visually-hidden",
                    ),
                    *[
                        html.P(note, className="small mb-1")
                        for note in top5_chart.notes(predictions, truth, guess)
                    ],
                ]
            ),
        ],
        className="shadow-sm border-0 h-100",
    )
