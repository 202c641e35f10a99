"""Sharing a finished game: its public page with Open Graph tags and its PNG card, as a stranger
fetches them over HTTP; forged and garbled links; what the card and page give away."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from accounts.conftest import AuthActions
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient
from doubles import FakeExplainer, ServerThread
from PIL import Image
from sqlalchemy import select, update
from support_games import record_game
from support_web import LABELS

from cargame.accounts.db import EXTENSION
from cargame.accounts.models import Game, User
from cargame.app import create_app
from cargame.config import Config
from cargame.domain.catalog import Catalog, display_name
from cargame.web import share


@pytest.fixture
def app(web_config: Config) -> DashProxy:
    return create_app(web_config)


class MetaTags(HTMLParser):
    """The page's <meta property|name=... content=...> tags."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        key = found.get("property") or found.get("name")
        if tag == "meta" and key and found.get("content") is not None:
            self.tags[key] = str(found["content"])


def meta_tags(page: str) -> dict[str, str]:
    parser = MetaTags()
    parser.feed(page)
    return parser.tags


def share_path(app: DashProxy, game_id: str) -> str:
    with app.server.test_request_context():
        url = share.share_url(game_id)
    assert url is not None and url.startswith("http://localhost/share/")
    return urlsplit(url).path


def test_a_played_game_is_shared_with_open_graph_tags_and_its_card(
    app: DashProxy, dash_client: Callable[[Any], DashClient]
) -> None:
    player = dash_client(app)
    game = player.game(player.play([("Audi", "A4")] * 5))
    assert game is not None
    path = share_path(app, game.game_id)

    stranger = dash_client(app).http
    page = stranger.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    tags = meta_tags(text)
    you, ai = game.player_score, game.ai_score
    assert str(you) in tags["og:title"] and str(ai) in tags["og:title"]
    assert tags["og:image"] == f"http://localhost{path}.png"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:url"] == f"http://localhost{path}"
    assert "Can you beat it?" in tags["og:description"]
    # Nothing that names the game or pairs its photos with their answers.
    assert game.game_id not in text
    assert not any(display_name(label) in text for label in LABELS)

    card = stranger.get(f"{path}.png")
    assert card.status_code == 200 and card.headers["Content-Type"] == "image/png"
    assert card.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(card.data))
    assert image.format == "PNG" and image.size == (1200, 630)


def test_the_card_is_drawn_once_with_the_heatmaps_of_the_ais_answers(
    app: DashProxy,
    web_catalog: Catalog,
    dash_client: Callable[[Any], DashClient],
    fake_explainer: tuple[FakeExplainer, ServerThread],
) -> None:
    game = record_game(app, web_catalog)
    path = share_path(app, game.game_id)
    explainer = fake_explainer[0]
    first = dash_client(app).http.get(f"{path}.png")
    asked = [(item.path, item.body["instances"][0].get("class")) for item in explainer.requests]
    # The heatmap the player saw: the game's model version, the AI's own answer.
    assert asked == [
        ("/v1/models/cars/versions/3:explain", played.ai_guess) for played in game.rounds
    ]
    second = dash_client(app).http.get(f"{path}.png")
    assert second.data == first.data
    assert len(explainer.requests) == len(game.rounds)  # the second came from the cache


def test_without_the_explainer_the_card_shows_and_is_drawn_again_soon(
    app: DashProxy,
    web_catalog: Catalog,
    dash_client: Callable[[Any], DashClient],
    fake_explainer: tuple[FakeExplainer, ServerThread],
) -> None:
    path = share_path(app, record_game(app, web_catalog).game_id)
    fake_explainer[0].fail = True
    card = dash_client(app).http.get(f"{path}.png")
    assert card.status_code == 200
    assert Image.open(io.BytesIO(card.data)).size == (1200, 630)
    assert card.headers["Cache-Control"] == f"public, max-age={share.RETRY_SECONDS}"


def test_forged_garbled_and_foreign_tokens_find_nothing(
    app: DashProxy,
    web_catalog: Catalog,
    dash_client: Callable[[Any], DashClient],
    make_web_config: Callable[..., Config],
) -> None:
    game = record_game(app, web_catalog)
    token = share_path(app, game.game_id).rsplit("/", 1)[1]
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    other_key = create_app(make_web_config(secret_key="another secret key, 32 characters"))
    with other_key.server.test_request_context():
        foreign = share.share_token(game.game_id)
    stranger = dash_client(app).http
    for bad in [flipped, token[:-4], token + "AAAA", game.game_id, foreign, "x" * 64, "%00"]:
        page = stranger.get(f"/share/{bad}")
        assert page.status_code == 404, bad
        assert "not valid" in page.get_data(as_text=True)
        assert stranger.get(f"/share/{bad}.png").status_code == 404, bad


def test_an_unfinished_game_has_no_share_link(
    app: DashProxy, web_catalog: Catalog, dash_client: Callable[[Any], DashClient]
) -> None:
    game = record_game(app, web_catalog)
    with app.server.extensions[EXTENSION]() as session:
        session.execute(update(Game).where(Game.id == game.game_id).values(status="abandoned"))
        session.commit()
    with app.server.test_request_context():
        assert share.share_url(game.game_id) is None
        token = share.share_token(game.game_id)
    assert dash_client(app).http.get(f"/share/{token}").status_code == 404


def test_a_share_page_shows_only_its_own_game_and_no_username(
    app: DashProxy, web_catalog: Catalog, dash_client: Callable[[Any], DashClient]
) -> None:
    alice = dash_client(app)
    assert AuthActions(alice.http).register("alice_racer").status_code == 302
    with app.server.extensions[EXTENSION]() as session:
        alice_id = session.scalars(select(User.id)).one()
    alices_path = share_path(app, record_game(app, web_catalog, alice_id, right=5).game_id)
    bobs_path = share_path(app, record_game(app, web_catalog, right=1).game_id)
    assert alices_path != bobs_path

    stranger = dash_client(app).http
    alices_page = stranger.get(alices_path).get_data(as_text=True)
    bobs_page = stranger.get(bobs_path).get_data(as_text=True)
    assert "alice_racer" not in alices_page and "alice_racer" not in bobs_page
    assert meta_tags(alices_page)["og:title"].startswith("I beat the AI, 10 to")
    assert meta_tags(bobs_page)["og:title"].startswith("The AI beat me")
    assert alices_page.count("Human: +2, exact model") == 5
    assert bobs_page.count("Human: +2, exact model") == 1
    # Each page links its own card only.
    assert re.findall(r"/share/[\w-]+\.png", alices_page) == [f"{alices_path}.png"] * 3


def test_the_opponent_level_is_named_when_games_have_one(
    app: DashProxy, web_catalog: Catalog, dash_client: Callable[[Any], DashClient]
) -> None:
    if not hasattr(Game, "level"):
        pytest.skip("games have no opponent level yet")
    game = record_game(app, web_catalog)
    with app.server.extensions[EXTENSION]() as session:
        session.execute(update(Game).where(Game.id == game.game_id).values(level="rookie"))
        session.commit()
    page = dash_client(app).http.get(share_path(app, game.game_id)).get_data(as_text=True)
    assert "Opponent: Rookie." in meta_tags(page)["og:description"]


def test_tokens_are_stable_and_do_not_contain_the_game_id(app: DashProxy) -> None:
    with app.server.test_request_context():
        token = share.share_token("0123456789abcdef0123456789abcdef")
        assert share.share_token("0123456789abcdef0123456789abcdef") == token
        assert share.game_id_of(token) == "0123456789abcdef0123456789abcdef"
        assert share.share_token("0123456789abcdef0123456789abcdee") != token
        assert "0123456789abcdef" not in token
        assert share.game_id_of(token.swapcase()) is None


def test_the_final_page_offers_the_share_link_and_the_kiosk_does_not(
    app: DashProxy, make_web_config: Any, dash_client: Any
) -> None:
    player = dash_client(app)
    pointer = player.play([("Audi", "A4")] * 5)
    page = json.dumps(player.page("/finish", pointer))
    path = share_path(app, player.game(pointer).game_id)
    assert path in page
    kiosk = dash_client(create_app(make_web_config(booth=True)))
    pointer = kiosk.play([("Audi", "A4")] * 5)
    assert "/share/" not in json.dumps(kiosk.page("/finish", pointer))
