"""Take your score home: the booth's QR link, used from another browser (the player's phone).

Games are played on a booth-configured app by firing its callbacks as the browser does; the
phone is a second client with its own cookies that registers or signs in through the real forms.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from accounts.conftest import AuthActions
from dash_extensions.enrich import DashProxy
from dash_wire import DashClient, find_component
from sqlalchemy import select

from cargame.accounts.db import EXTENSION
from cargame.accounts.models import Game, User
from cargame.app import create_app
from cargame.config import Config
from cargame.web import ids


def booth_app(make_web_config: Callable[..., Config], **booth: Any) -> DashProxy:
    config = make_web_config(booth=True)
    return create_app(config.with_overrides({"booth": booth}) if booth else config)


@pytest.fixture
def app(make_web_config: Callable[..., Config]) -> DashProxy:
    return booth_app(make_web_config)


def play_a_booth_game(kiosk: DashClient) -> tuple[str, str]:
    """A guest plays a whole game on the kiosk: (the game's id, the QR code's link path)."""
    pointer = kiosk.play([("Audi", "A4")] * 5)
    game_id = kiosk.game(pointer).game_id
    qr = find_component(kiosk.page("/finish", pointer), ids.FINISH_CLAIM_QR)
    assert qr is not None, "a guest's final page on the booth shows the take-home QR code"
    props = qr["props"]
    assert props["src"].startswith("data:image/svg+xml")
    url = props["data-claim-url"]
    assert url.startswith("http://localhost/claim/")
    return game_id, urlsplit(url).path


def owner(app: DashProxy, game_id: str) -> str | None:
    with app.server.extensions[EXTENSION]() as session:
        game = session.get(Game, game_id)
        if game.user_id is None:
            return None
        return session.scalars(select(User.username).where(User.id == game.user_id)).one()


def test_the_qr_link_claims_the_game_on_a_phone_once_and_then_refuses(
    app: DashProxy, dash_client: Callable[[Any], DashClient]
) -> None:
    kiosk = dash_client(app)
    game_id, link = play_a_booth_game(kiosk)
    phone = dash_client(app)
    page = phone.http.get(link)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Register and keep it" in text and "Sign in and keep it" in text
    register = next(part for part in text.split('"') if part.startswith("/register?"))
    response = AuthActions(phone.http).register(
        "phoneowner", keep_from=register.replace("&amp;", "&")
    )
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    assert owner(app, game_id) == "phoneowner"
    # The same link again, from the phone or from anyone who photographed the screen: refused.
    again = phone.http.get(link)
    assert again.status_code == 410 and "already been kept" in again.get_data(as_text=True)
    other = dash_client(app)
    assert other.http.get(link).status_code == 410
    response = AuthActions(other.http).register("latecomer", keep_from=f"/register?keep={link[7:]}")
    assert owner(app, game_id) == "phoneowner"  # still the first claimer's


def test_a_signed_in_phone_keeps_the_game_with_one_button(
    app: DashProxy, dash_client: Callable[[Any], DashClient]
) -> None:
    phone = dash_client(app)
    AuthActions(phone.http).register("regular")
    kiosk = dash_client(app)
    game_id, link = play_a_booth_game(kiosk)
    page = phone.http.get(link).get_data(as_text=True)
    assert "Keep it as regular" in page
    # Without the form's CSRF token nothing is filed into the account.
    assert phone.http.post(link).status_code == 200
    assert owner(app, game_id) is None
    token = AuthActions(phone.http).csrf_token(link)
    response = phone.http.post(link, data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    assert owner(app, game_id) == "regular"
    assert phone.http.get(link).status_code == 410


def test_an_expired_link_refuses_with_a_clear_message(
    make_web_config: Callable[..., Config], dash_client: Callable[[Any], DashClient]
) -> None:
    app = booth_app(make_web_config, claim_link_seconds=1)
    game_id, link = play_a_booth_game(dash_client(app))
    time.sleep(2.1)
    phone = dash_client(app)
    page = phone.http.get(link)
    assert page.status_code == 410
    assert "This link has expired: it works for 1 second after" in page.get_data(as_text=True)
    response = AuthActions(phone.http).register("tooslow", keep_from=f"/register?keep={link[7:]}")
    # Registration itself works; the game stays unclaimed and the player is told why.
    assert response.status_code == 302 and response.headers["Location"].startswith("/claim/")
    assert owner(app, game_id) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # bad signature
        lambda token: "x" * 2000,  # far too long
        lambda token: "not-a-token",
    ],
)
def test_forged_links_refuse_and_reveal_nothing(
    app: DashProxy, dash_client: Callable[[Any], DashClient], mangle: Callable[[str], str]
) -> None:
    game_id, link = play_a_booth_game(dash_client(app))
    forged = "/claim/" + mangle(link.removeprefix("/claim/"))
    response = dash_client(app).http.get(forged)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "not valid" in text and game_id not in text


def test_solo_games_have_no_qr_and_their_ids_cannot_be_claimed_by_link(
    make_web_config: Callable[..., Config], dash_client: Callable[[Any], DashClient]
) -> None:
    app = create_app(make_web_config())
    player = dash_client(app)
    pointer = player.play([("Audi", "A4")] * 5)
    assert find_component(player.page("/finish", pointer), ids.FINISH_CLAIM_QR) is None
    with app.server.test_request_context():
        from cargame.accounts import booth_claims

        token = booth_claims.claim_token(player.game(pointer).game_id)
    assert dash_client(app).http.get(f"/claim/{token}").status_code == 404


def test_the_booth_final_page_offers_no_kiosk_sign_in_unless_configured(
    make_web_config: Callable[..., Config], dash_client: Callable[[Any], DashClient]
) -> None:
    kiosk = dash_client(booth_app(make_web_config))
    pointer = kiosk.play([("Audi", "A4")] * 5)
    page = json.dumps(kiosk.page("/finish", pointer))
    assert "Register and keep it" not in page and "/login" not in page
    layout = kiosk.http.get("/_dash-layout").get_data(as_text=True)
    assert "/showroom" not in layout and "/leaderboard" not in layout and "/login" not in layout
    with_accounts = dash_client(booth_app(make_web_config, accounts=True))
    pointer = with_accounts.play([("Audi", "A4")] * 5)
    assert "Register and keep it" in json.dumps(with_accounts.page("/finish", pointer))


def test_a_claim_link_while_the_database_is_down_says_so_and_works_afterwards(
    app: DashProxy, dash_client: Callable[[Any], DashClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from cargame.accounts import booth_claims

    game_id, link = play_a_booth_game(dash_client(app))
    phone = dash_client(app)

    def down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("database is down"))

    with monkeypatch.context() as patch:
        patch.setattr(booth_claims, "db_session", down)
        response = phone.http.get(link)
    assert response.status_code == 503 and "try the link again" in response.get_data(as_text=True)
    assert phone.http.get(link).status_code == 200
