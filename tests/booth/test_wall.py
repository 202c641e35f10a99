"""/wall and the shared board snapshot: what it shows, how small it stays, who may see it, and
how it copes with a database or explainer that is down."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient
from sqlalchemy import text
from support_web import LABELS

from cargame.accounts.db import db_session
from cargame.accounts.models import utc_now
from cargame.app import create_app
from cargame.config import Config
from cargame.web import booth_board
from cargame.web import booth_board_view as view
from cargame.web.extensions import media_cache

from .conftest import add_game

TICK = {f"{view.WALL_TICK}.n_intervals": 3}
MAX_RESPONSE_BYTES = 16_000  # a full wall: ten leaderboard lines, four rounds, no pictures inline
# The catalog's game photos (tests/support_web.py): car index, variant 1-3, a fixed tail.
GAME_PHOTOS = [
    f"{car:02d}{variant:02d}" + "c0ffee" * 4 for car in range(6) for variant in (1, 2, 3)
]
AUDI_A4, BMW_X5 = GAME_PHOTOS[0], GAME_PHOTOS[7]


def photo_round(image_id: str, truth: str, guess: str, ai_guess: str, points: tuple[int, int]):
    return {
        "image_id": image_id,
        "truth": truth,
        "guess": guess,
        "ai_guess": ai_guess,
        "player_points": points[0],
        "ai_points": points[1],
    }


def add_games(app: DashProxy, *games: tuple[str, list[dict[str, Any]]], **facts: Any) -> None:
    """Booth games finished a few minutes ago (the fair's time zone is UTC in the tests)."""
    with app.server.app_context(), db_session() as session:
        for number, (game_id, rounds) in enumerate(games):
            finished = utc_now() - timedelta(minutes=10 - number)
            add_game(session, game_id, rounds, finished_at=finished, **facts)


def name_game(app: DashProxy, game_id: str, nickname: str) -> str:
    with app.server.test_request_context():
        return booth_board.set_nickname(game_id, nickname)


def fire(client: DashClient, shown: str | None = None) -> dict[str, dict[str, Any]]:
    return client.callback(TICK, {f"{view.WALL_VERSION}.data": shown})


def board_text(response: dict[str, dict[str, Any]]) -> str:
    return json.dumps(response[view.WALL_BOARD]["children"])


def texts(tree: Any) -> list[str]:
    """The strings of a serialised component tree, in order."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, list):
        return [part for child in tree for part in texts(child)]
    if isinstance(tree, dict):
        return texts(tree.get("props", {}).get("children"))
    return []


@pytest.fixture
def wall_app(web_config: Config) -> DashProxy:
    return create_app(web_config)


@pytest.fixture
def played(wall_app: DashProxy) -> DashProxy:
    """Three booth games today: a human win (named "Alex"), an AI win, a draw."""
    add_games(
        wall_app,
        ("won", [photo_round(AUDI_A4, "Audi/A4", "Audi/A4", "Audi/Q5", (2, 1))]),
        ("lost", [photo_round(BMW_X5, "BMW/X5", "BMW/i3", "BMW/X5", (1, 2))]),
        ("drawn", [photo_round(AUDI_A4, "Audi/A4", "Audi/A4", "Audi/A4", (2, 2))]),
    )
    name_game(wall_app, "won", "Alex")
    return wall_app


def test_the_wall_shows_todays_boards_by_media_url_only(played: DashProxy) -> None:
    client = DashClient(played)
    response = fire(client)
    words = texts(response[view.WALL_BOARD]["children"])
    joined = " ".join(words)
    assert "Humans 1 : AI 1" in joined  # games won
    assert "1 draw" in joined and "points 5 : 5" in joined
    leaderboard = words[words.index("Today's top scores") + 1 :][:9]
    assert leaderboard == [
        "1",
        "Alex",
        "2 : 1",
        "2",
        "Anonymous",
        "2 : 2",
        "3",
        "Anonymous",
        "1 : 2",
    ]
    assert "Latest rounds" in words and "Audi A4" in words and "BMW X5" in words
    assert "Alex: " in words and "AI: " in words and "Visitor: " in words
    body = board_text(response)
    urls = [part for part in body.split('"') if part.startswith("/media/")]
    assert len(urls) == 6  # three rounds: a photo and a heatmap each
    for url in urls:
        served = client.http.get(url)
        assert served.status_code == 200
        assert served.mimetype in {"image/jpeg", "image/png"}
    assert "data:" not in body and "base64" not in body
    assert not any(f'"{game_id}"' in body for game_id in ("won", "lost", "drawn"))
    assert "c0ffee" not in body  # no image ids either


def test_a_full_wall_stays_small(wall_app: DashProxy) -> None:
    """Twelve five-round games with the longest nicknames: every panel full."""
    games = [
        (
            f"game-{number}",
            [
                photo_round(
                    photo, LABELS[GAME_PHOTOS.index(photo) // 3], "Volvo/XC90", "BMW/X5", (2, 1)
                )
                for photo in GAME_PHOTOS[number % 3 :: 3][:5]
            ],
        )
        for number in range(12)
    ]
    add_games(wall_app, *games)
    for number in range(12):
        name_game(wall_app, f"game-{number}", "Abcdefghijklmnop")
    client = DashClient(wall_app)
    words = texts(fire(client)[view.WALL_BOARD]["children"])
    assert "Hardest car today" in words and words.count("Abcdefghijklmnop 10") == 1
    assert client.last_size < MAX_RESPONSE_BYTES


def test_ticks_that_change_nothing_send_nothing(played: DashProxy) -> None:
    client = DashClient(played)
    version = fire(client)[view.WALL_VERSION]["data"]
    assert fire(client, version) == {}  # 204: the wall keeps what it shows
    assert fire(DashClient(played), version) == {}  # another screen on the same version


def test_a_new_nickname_shows_on_the_next_tick(played: DashProxy) -> None:
    client = DashClient(played)
    version = fire(client)[view.WALL_VERSION]["data"]
    assert name_game(played, "lost", "Sam") == "Sam"
    response = fire(client, version)
    assert "Sam" in texts(response[view.WALL_BOARD]["children"])
    assert response[view.WALL_VERSION]["data"] != version


def test_an_empty_day_invites_the_first_player(wall_app: DashProxy) -> None:
    add_games(wall_app, ("solo", [photo_round(AUDI_A4, "Audi/A4", "Audi/A4", "", (2, 0))]))
    with wall_app.server.app_context(), db_session() as session:
        session.execute(text("UPDATE games SET mode = 'solo'"))
        session.commit()
    assert texts(fire(DashClient(wall_app))[view.WALL_BOARD]["children"]) == [view.EMPTY_DAY]


def test_a_database_failure_shows_a_notice(played: DashProxy) -> None:
    with played.server.app_context(), db_session() as session:
        for table in ("booth_names", "rounds", "games"):
            session.execute(text(f"DROP TABLE {table}"))
        session.commit()
    response = fire(DashClient(played))
    assert texts(response[view.WALL_BOARD]["children"]) == [view.UNAVAILABLE]


def test_without_the_explainer_the_rounds_keep_their_photos(
    make_web_config: Callable[..., Config], closed_url: str
) -> None:
    config = make_web_config().with_overrides({"explainer": {"url": closed_url}})
    app = create_app(config)
    add_games(app, ("won", [photo_round(AUDI_A4, "Audi/A4", "Audi/A4", "Audi/Q5", (2, 1))]))
    with app.server.test_request_context():
        snapshot = booth_board.snapshot()
        (played_round,) = snapshot.recent
        assert played_round.photo_url and played_round.heatmap_url is None
        # The failure is remembered for a while: the next builds do not wait for it again.
        assert media_cache.get(booth_board._key("heatmap", AUDI_A4)) == ""
    body = board_text(fire(DashClient(app)))
    assert "Where the AI looked on the Audi A4" in body  # the empty frame keeps its label


@pytest.fixture(params=["embedded", pytest.param("scaled", marks=pytest.mark.services)])
def two_workers(
    request: pytest.FixtureRequest, web_config: Config
) -> Iterator[tuple[DashProxy, DashProxy]]:
    """Two apps sharing one cache and database: files and SQLite, or Redis and PostgreSQL."""
    if request.param == "embedded":
        yield create_app(web_config), create_app(web_config)
        return
    redis_url = request.getfixturevalue("redis_url")
    database = request.getfixturevalue("postgres_schema_url")
    config = web_config.with_overrides(
        {"web": {"session_backend": "redis", "redis_url": redis_url}, "database": {"url": database}}
    )
    connection = redis.Redis.from_url(redis_url)
    before = set(connection.scan_iter("cargame*"))
    try:
        yield create_app(config), create_app(config)
    finally:
        created = set(connection.scan_iter("cargame*")) - before
        if created:
            connection.delete(*created)


def test_every_worker_shares_one_snapshot_per_refresh(
    two_workers: tuple[DashProxy, DashProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_workers
    add_games(first, ("won", [photo_round(AUDI_A4, "Audi/A4", "Audi/A4", "Audi/Q5", (2, 1))]))
    builds: list[object] = []
    build = booth_board.build_snapshot

    def counting(*args: Any) -> booth_board.BoardSnapshot:
        builds.append(args)
        return build(*args)

    monkeypatch.setattr(booth_board, "build_snapshot", counting)
    snapshots = []
    for app in (first, second, first):
        with app.server.test_request_context():
            snapshots.append(booth_board.snapshot())
    assert len(builds) == 1
    assert snapshots[0] == snapshots[1] == snapshots[2]
    # When it expires, the next build reuses the photo and heatmap tokens.
    with second.server.test_request_context():
        media_cache.delete(booth_board._key("board", snapshots[0].day))
        rebuilt = booth_board.snapshot()
    assert len(builds) == 2
    assert rebuilt.recent == snapshots[0].recent


def test_anonymous_visitors_may_open_the_wall_and_its_callback(played: DashProxy) -> None:
    http = played.server.test_client()
    page = http.get("/wall")
    assert page.status_code == 200 and "<title>" in page.get_data(as_text=True)
    layout = DashClient(played).page("/wall")
    assert DashClient.find(layout, view.WALL_TICK)["props"]["interval"] == 5000
    payload = {
        "output": f"..{view.WALL_BOARD}.children...{view.WALL_VERSION}.data..",
        "outputs": [
            {"id": view.WALL_BOARD, "property": "children"},
            {"id": view.WALL_VERSION, "property": "data"},
        ],
        "inputs": [{"id": view.WALL_TICK, "property": "n_intervals", "value": 1}],
        "state": [{"id": view.WALL_VERSION, "property": "data", "value": None}],
        "changedPropIds": [f"{view.WALL_TICK}.n_intervals"],
    }
    response = http.post("/_dash-update-component", json=payload)
    assert response.status_code == 200
    assert "Alex" in response.get_data(as_text=True)
