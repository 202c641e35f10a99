"""Today's booth boards drawn from a `BoardSnapshot`: for /wall, and reusable on the attract screen.

Every builder is pure rendering of plain data, with only `/media` URLs for pictures. The CSS
classes (`booth-board-*`, in assets/wall.css) style them wherever they appear; `.wall-page` only
sizes them for a 1920x1080 screen seen from across a hall.
"""

from __future__ import annotations

from dash import html
from dash.development.base_component import Component

from cargame.web.booth_board import BoardSnapshot, HardestCarView, RoundView, ScoreLine
from cargame.web.ids import component_id

WALL_TICK = component_id("wall", "tick")  # dcc.Interval at [booth] wall_refresh_seconds
WALL_BOARD = component_id("wall", "board")  # the boards, replaced when the snapshot changes
WALL_VERSION = component_id("wall", "version")  # dcc.Store: the version shown now

ANONYMOUS = "Anonymous"
EMPTY_DAY = "No games yet today: be the first!"
UNAVAILABLE = "The scores are taking a short break. Back in a moment."


def board(snapshot: BoardSnapshot) -> Component:
    """The whole wall: tally, leaderboard and hardest car, the latest rounds."""
    if not snapshot.available:
        return html.Div(html.P(UNAVAILABLE), className="booth-board-notice")
    if snapshot.empty:
        return html.Div(html.P(EMPTY_DAY), className="booth-board-notice booth-board-empty")
    return html.Div(
        [
            tally_banner(snapshot),
            html.Div(
                [
                    html.Div(
                        [leaderboard(snapshot.top), hardest_car(snapshot.hardest)],
                        className="booth-board-side",
                    ),
                    recent_rounds(snapshot.recent),
                ],
                className="booth-board-columns",
            ),
        ],
        className="booth-board-grid",
    )


def tally_banner(snapshot: BoardSnapshot) -> Component:
    """The games won today, "Humans 12 : AI 18", and each side's points."""
    tally = snapshot.tally
    return html.Div(
        [
            html.Div(
                [
                    html.Span("Humans", className="booth-board-side-name"),
                    html.Strong(str(tally.human_wins), className="booth-board-humans"),
                    html.Span(":", className="booth-board-colon"),
                    html.Span("AI", className="booth-board-side-name"),
                    html.Strong(str(tally.ai_wins), className="booth-board-ai"),
                ],
                className="booth-board-tally",
                role="status",
            ),
            html.P(
                f"games won today · {_plural(tally.draws, 'draw')} · "
                f"points {tally.human_points} : {tally.ai_points}",
                className="booth-board-tally-note",
            ),
        ],
        className="booth-board-banner",
    )


def leaderboard(top: tuple[ScoreLine, ...]) -> Component:
    """Today's top scores: rank, nickname (or "Anonymous"), you : AI."""
    rows = [
        html.Li(
            [
                html.Span(str(line.rank), className="booth-board-rank"),
                html.Span(line.nickname or ANONYMOUS, className="booth-board-name"),
                html.Span(f"{line.player_score} : {line.ai_score}", className="booth-board-score"),
            ],
            className=f"booth-board-line booth-board-{line.winner}",
        )
        for line in top
    ]
    return html.Section(
        [
            html.H2("Today's top scores"),
            html.Ol(rows, className="booth-board-lines")
            if rows
            else html.P("No finished game yet.", className="booth-board-quiet"),
        ],
        className="booth-board-panel booth-board-leaderboard",
    )


def hardest_car(hardest: HardestCarView | None) -> Component | None:
    """The car people named least often today, with a photo; None when none qualifies."""
    if hardest is None:
        return None
    return html.Section(
        [
            html.H2("Hardest car today"),
            html.Div(
                [
                    _picture(hardest.photo_url, f"Photo of the {hardest.car}", "booth-board-photo"),
                    html.Div(
                        [
                            html.Strong(hardest.car, className="booth-board-car"),
                            html.Span(
                                f"named in {hardest.hits} of {hardest.shown} tries",
                                className="booth-board-quiet",
                            ),
                        ]
                    ),
                ],
                className="booth-board-hardest",
            ),
        ],
        className="booth-board-panel",
    )


def recent_rounds(recent: tuple[RoundView, ...]) -> Component:
    """The latest rounds: photo, the AI's heatmap, the truth and both answers."""
    return html.Section(
        [html.H2("Latest rounds"), html.Div([_round(played) for played in recent])],
        className="booth-board-panel booth-board-recent",
    )


def _round(played: RoundView) -> Component:
    player = played.nickname or "Visitor"
    return html.Article(
        [
            html.Div(
                [
                    _picture(played.photo_url, f"Photo of the {played.truth}", "booth-board-photo"),
                    _picture(
                        played.heatmap_url,
                        f"Where the AI looked on the {played.truth}",
                        "booth-board-heatmap",
                    ),
                ],
                className="booth-board-pictures",
            ),
            html.Div(
                [
                    html.Strong(played.truth, className="booth-board-car"),
                    _answer(player, played.guess, played.player_points),
                    _answer("AI", played.ai_guess, played.ai_points),
                    html.Span(played.time, className="booth-board-quiet"),
                ],
                className="booth-board-answers",
            ),
        ],
        className="booth-board-round",
    )


def _answer(who: str, guess: str | None, points: int) -> Component:
    return html.Div(
        [
            html.Span(f"{who}: ", className="booth-board-who"),
            guess or "no answer",
            html.Span(f" +{points}", className="booth-board-points"),
        ]
    )


def _picture(url: str | None, alt: str, class_name: str) -> Component:
    if not url:
        return html.Div(
            className=f"{class_name} booth-board-missing", role="img", **{"aria-label": alt}
        )
    return html.Img(src=url, alt=alt, className=class_name)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
