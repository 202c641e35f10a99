"""The web app over HTTP: pages, stage guards, session binding, payload sizes, restarts.

Callbacks are fired the way the browser fires them (`/_dash-update-component`), against fake
model and explainer servers that speak the real protocols.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import redis
from PIL import Image
from support_heatmaps import wait_for_heatmaps

from cargame import app as app_module
from cargame.app import create_app
from cargame.config import ConfigError, load_config
from cargame.domain.catalog import Catalog, CatalogImage, display_name, split_label
from cargame.domain.game import score
from cargame.web import ids

MAX_PAYLOAD_BYTES = 20_000  # per page change, images travel by URL


@pytest.fixture
def app(web_config):
    return create_app(web_config)


@pytest.fixture
def client(app, dash_client):
    return dash_client(app)


def redirect_target(client, content) -> str | None:
    """Where a page sends the player instead of rendering (None: it rendered)."""
    link = client.find(content, ids.REDIRECT_LINK)
    return link["props"]["href"] if link else None


def test_index_sets_a_signed_session_and_security_headers(app) -> None:
    response = app.server.test_client().get("/")
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("cargame_session=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"Beat the AI" in response.data
    stylesheet = app.server.test_client().get("/assets/cargame.css")
    assert stylesheet.status_code == 200 and "Set-Cookie" not in stylesheet.headers


def test_home_explains_the_game_and_scoring(client) -> None:
    text = json.dumps(client.page("/"))
    assert "Let's play" in text and "2 points" in text and "1 point" in text
    assert "/showroom" in text
    assert client.last_size < MAX_PAYLOAD_BYTES


def test_home_shows_a_fixed_notice_and_never_echoes_the_query(client) -> None:
    expired = json.dumps(client.page("/", search="?notice=expired"))
    assert "expired" in expired
    echoed = json.dumps(client.page("/", search="?notice=<script>alert(1)</script>"))
    assert "<script>" not in echoed


def test_home_offers_to_continue_a_running_game(client) -> None:
    assert "Continue your game" not in json.dumps(client.page("/"))
    pointer = client.start_game()
    link = client.find(client.page("/", pointer), ids.HOME_START)
    assert link is not None
    assert "Continue your game (round 1 of 5)" in json.dumps(client.page("/", pointer))


def test_without_a_catalog_the_showroom_and_the_start_say_so(
    web_config, dash_client, tmp_path
) -> None:
    config = web_config.with_overrides({"paths": {"catalog": str(tmp_path / "nowhere")}})
    client = dash_client(create_app(config))
    assert "no catalog has been set up" in json.dumps(client.page("/showroom"))
    response = client.callback({"home-start.n_clicks": 1, "home-retry.n_clicks": None})
    assert response["home-error"]["is_open"] is True
    assert "no photos ready" in response["home-error-text"]["children"]
    assert str(tmp_path) not in json.dumps(response)


def test_showroom_lists_every_model_grouped_by_make(client, web_catalog) -> None:
    content = client.page("/showroom")
    text = json.dumps(content)
    for label in web_catalog.labels:
        assert display_name(label) in text
    grid = client.find(content, ids.SHOWROOM_GRID)
    makes = [
        section["props"]["children"][0]["props"]["children"]
        for section in grid["props"]["children"]
    ]
    assert makes == ["Audi", "BMW", "Volvo"]
    assert text.count('"/media/') == len(web_catalog.labels)
    assert client.last_size < MAX_PAYLOAD_BYTES


def test_showroom_pictures_are_training_photos_not_game_photos(client, web_catalog) -> None:
    text = json.dumps(client.page("/showroom"))
    game_photos = {web_catalog.path(image).read_bytes() for image in web_catalog.split("game")}
    urls = [part.split('"')[0] for part in text.split('"/media/')[1:]]
    assert urls, "the showroom shows pictures"
    for token in urls:
        response = client.http.get(f"/media/{token}")
        assert response.status_code == 200
        assert response.data not in game_photos


def test_one_make_at_a_time_in_the_showroom(client) -> None:
    response = client.callback({f"{ids.SHOWROOM_MAKES}.value": "BMW"})
    text = json.dumps(response[ids.SHOWROOM_GRID]["children"])
    assert "BMW X5" in text and "Audi" not in text


def big_catalog(root: Path, makes: int, models: int) -> Catalog:
    """`makes` x `models` classes with one tiny training photo each."""
    root.mkdir()
    images = []
    for make in range(makes):
        for model in range(models):
            file = f"{make:02d}{model:02d}.png"
            Image.new("RGB", (8, 8), (make * 20, model * 40, 90)).save(root / file)
            image_id = f"{make:02d}{model:02d}" + "ab" * 8
            images.append(CatalogImage(image_id, file, f"Make{make:02d}", f"M{model}", "train"))
    catalog = Catalog(root, "big", images)
    catalog.save()
    return catalog


def test_a_big_showroom_shows_one_make_at_a_time(web_config, dash_client, tmp_path) -> None:
    catalog = big_catalog(tmp_path / "big", makes=12, models=5)
    config = web_config.with_overrides({"paths": {"catalog": str(catalog.root)}})
    client = dash_client(create_app(config))
    content = client.page("/showroom")
    assert client.last_size < MAX_PAYLOAD_BYTES
    text = json.dumps(content)
    assert "Make00 M4" in text and "Make01 M0" not in text
    options = client.find(content, ids.SHOWROOM_MAKES)["props"]["options"]
    assert [option["value"] for option in options] == [f"Make{n:02d}" for n in range(12)]
    # "All makes" is not offered, and asking for it anyway still sends one make.
    response = json.dumps(client.callback({f"{ids.SHOWROOM_MAKES}.value": "all"}))
    assert client.last_size < MAX_PAYLOAD_BYTES
    assert "Make00 M0" in response and "Make01" not in response


def test_unknown_pages_say_not_found(client) -> None:
    assert "Wrong turn" in json.dumps(client.page("/garage/secret"))


def test_starting_a_game_sends_only_a_pointer(client) -> None:
    response = client.callback({"home-start.n_clicks": 1, "home-retry.n_clicks": None})
    pointer = response["shell-game"]["data"]
    assert pointer.startswith('SERVERSIDE_{"backend_uid": "game", "key": "')
    assert response["shell-navigate"]["href"] == "/attempt"
    assert response["home-error"]["is_open"] is False
    assert client.last_size < 1_000
    game = client.game(pointer)
    assert game is not None and game.total_rounds == 5 and game.stage == "attempt"


def test_the_attempt_page_reveals_neither_truth_nor_the_ai_answer(client) -> None:
    pointer = client.start_game()
    game = client.game(pointer)
    current = game.current_round
    content = client.page("/attempt", pointer)
    text = json.dumps(content)
    assert client.last_size < MAX_PAYLOAD_BYTES
    assert f"/media/{current.image_token}" in text
    for secret in {current.truth, current.ai_guess}:
        assert secret not in text
        assert display_name(secret) not in text
        assert split_label(secret)[1] not in text  # models are listed only after a make
    for token in (current.heatmap_token, current.truth_heatmap_token):
        assert token is None or token not in text
    assert current.image_id not in text
    make_options = client.find(content, ids.ATTEMPT_MAKE)["props"]["options"]
    assert [option["value"] for option in make_options] == ["Audi", "BMW", "Volvo"]
    header = client.callback({f"{ids.GAME_STORE}.data": pointer})
    assert "Round 1/5" in json.dumps(header)


def test_models_follow_the_chosen_make(client) -> None:
    pointer = client.start_game()
    response = client.callback(
        {f"{ids.ATTEMPT_MAKE}.value": "BMW"}, {f"{ids.GAME_STORE}.data": pointer}
    )
    model = response[ids.ATTEMPT_MODEL]
    assert [option["value"] for option in model["options"]] == ["X5", "i3"]
    assert model["value"] is None
    assert response[ids.ATTEMPT_MODEL_HINT]["children"] == "Which BMW?"
    # Each model tile shows the model's showroom picture.
    assert all("/media/" in json.dumps(option["label"]) for option in model["options"])
    cleared = client.callback(
        {f"{ids.ATTEMPT_MAKE}.value": None}, {f"{ids.GAME_STORE}.data": pointer}
    )
    assert cleared[ids.ATTEMPT_MODEL]["options"] == []


@pytest.mark.parametrize(
    ("make", "model", "message"),
    [(None, None, "make and a model"), ("Audi", None, "model too"), (None, "A4", "make first")],
)
def test_locking_in_needs_a_make_and_a_model(client, make, model, message) -> None:
    pointer = client.start_game()
    response = client.lock_in(pointer, make, model)
    assert message in json.dumps(response[ids.ATTEMPT_MESSAGE])
    assert "shell-game" not in response
    assert client.game(pointer).stage == "attempt"


def test_a_label_outside_the_game_is_refused(client) -> None:
    pointer = client.start_game()
    response = client.lock_in(pointer, "Trabant", "601")
    assert "not in this game" in json.dumps(response[ids.ATTEMPT_MESSAGE])
    assert client.game(pointer).stage == "attempt"


def test_a_whole_game_adds_up(client) -> None:
    pointer = client.start_game()
    guesses = [("Audi", "A4"), ("BMW", "X5"), ("Volvo", "V60"), ("Audi", "Q5"), ("BMW", "i3")]
    expected_you = expected_ai = 0
    for number, (make, model) in enumerate(guesses, start=1):
        truth = client.game(pointer).current_round.truth
        response = client.lock_in(pointer, make, model)
        assert response["shell-navigate"]["href"] == "/result"
        result = client.page("/result", pointer)
        assert client.last_size < MAX_PAYLOAD_BYTES
        text = json.dumps(result)
        game_round = client.game(pointer).current_round
        you, ai = score(f"{make}/{model}", truth), score(game_round.ai_guess, truth)
        expected_you, expected_ai = expected_you + you, expected_ai + ai
        assert f"Round {number} of 5" in text and display_name(truth) in text
        assert client.find(result, ids.RESULT_CHART)["props"]["figure"]["data"][0]["x"]
        label = "See the result" if number == 5 else "Next round"
        assert label in text
        header = json.dumps(client.callback({f"{ids.GAME_STORE}.data": pointer}))
        assert f'"{expected_you}"' in header and f'"{expected_ai}"' in header
        client.next_round(pointer)
    finish = client.page("/finish", pointer)
    assert client.last_size < MAX_PAYLOAD_BYTES
    you_total = client.find(finish, "finish-you")["props"]["children"]
    ai_total = client.find(finish, "finish-ai")["props"]["children"]
    assert (int(you_total), int(ai_total)) == (expected_you, expected_ai)
    game = client.game(pointer)
    assert (game.player_score, game.ai_score) == (expected_you, expected_ai)


def test_pages_follow_the_stage(client) -> None:
    assert redirect_target(client, client.page("/result")) == "/?notice=missing"
    assert redirect_target(client, client.page("/finish")) == "/?notice=missing"
    pointer = client.start_game()
    assert redirect_target(client, client.page("/result", pointer)) == "/attempt"
    assert redirect_target(client, client.page("/finish", pointer)) == "/attempt"
    assert redirect_target(client, client.page("/attempt", pointer)) is None
    client.lock_in(pointer, "Audi", "A4")
    assert redirect_target(client, client.page("/attempt", pointer)) == "/result"
    assert redirect_target(client, client.page("/finish", pointer)) == "/result"
    # The redirect is followed by the shell, only to paths inside the app.
    followed = client.callback({f"{ids.REDIRECT_LINK}.href": "/result"})
    assert followed[ids.NAVIGATE]["href"] == "/result"
    assert client.callback({f"{ids.REDIRECT_LINK}.href": "//evil.example"}) == {}


def test_callbacks_enforce_the_stage_whatever_page_sent_them(client) -> None:
    pointer = client.start_game()
    # "Next round" before guessing does not skip the round.
    response = client.next_round(pointer)
    assert response == {"shell-navigate": {"href": "/attempt"}}
    assert client.game(pointer).round_number == 1
    client.lock_in(pointer, "Audi", "A4")
    first_guess = client.game(pointer).current_round.guess
    # A second lock-in after the answer is shown changes nothing.
    again = client.lock_in(pointer, "BMW", "X5")
    assert again["shell-navigate"]["href"] == "/result" and "shell-game" not in again
    assert client.game(pointer).current_round.guess == first_guess


def test_a_pointer_from_another_session_is_not_honoured(app, dash_client) -> None:
    alice, mallory = dash_client(app), dash_client(app)
    pointer = alice.start_game()
    mallory.http.get("/")  # a real browser has its own signed session
    assert mallory.game(pointer) is None
    assert redirect_target(mallory, mallory.page("/attempt", pointer)) == "/?notice=expired"
    stolen = mallory.lock_in(pointer, "Audi", "A4")
    assert stolen == {
        "shell-navigate": {"href": "/?notice=expired"},
        ids.ATTEMPT_MESSAGE: {"children": None},
    }
    assert alice.game(pointer).stage == "attempt"
    assert redirect_target(alice, alice.page("/attempt", pointer)) is None


@pytest.mark.parametrize(
    "pointer",
    [
        "SERVERSIDE_{broken",
        'SERVERSIDE_{"backend_uid": "FileSystemBackend:/tmp", "key": "abc"}',
        'SERVERSIDE_{"backend_uid": "game", "key": "../../../etc/passwd"}',
        'SERVERSIDE_{"backend_uid": "game", "key": "00000000000000000000000000000000"}',
        {"stage": "finished", "player_score": 99},
        12345,
    ],
)
def test_forged_pointers_start_over_instead_of_failing(client, pointer) -> None:
    client.http.get("/")
    assert redirect_target(client, client.page("/result", pointer)) == "/?notice=expired"
    response = client.lock_in(pointer, "Audi", "A4")
    assert response["shell-navigate"]["href"] == "/?notice=expired"
    header = client.callback({f"{ids.GAME_STORE}.data": pointer})
    assert "No game in progress" in json.dumps(header)


def test_an_unreachable_model_server_gives_a_message_and_the_app_stays_up(
    make_web_config, dash_client, closed_url
) -> None:
    client = dash_client(create_app(make_web_config(serving_url=closed_url)))
    for retry in (None, 1):
        response = client.callback({"home-start.n_clicks": 1, "home-retry.n_clicks": retry})
        assert response["home-error"]["is_open"] is True
        assert "model server is not answering" in response["home-error-text"]["children"]
        assert "shell-game" not in response and "shell-navigate" not in response
    assert client.http.get("/").status_code == 200
    assert "Let's play" in json.dumps(client.page("/"))


def test_a_model_server_failing_mid_game_spares_the_game_and_blocks_only_new_ones(
    client, fake_model
) -> None:
    pointer = client.start_game()
    fake_model[0].fail = True
    for _ in range(5):
        client.lock_in(pointer, "Audi", "A4")
        client.next_round(pointer)
    assert client.game(pointer).stage == "finished"
    again = client.callback({"finish-again.n_clicks": 1, "finish-retry.n_clicks": None})
    assert again["finish-error"]["is_open"] is True and "shell-game" not in again
    fake_model[0].fail = False
    retry = client.callback({"finish-again.n_clicks": 1, "finish-retry.n_clicks": 1})
    assert retry["shell-navigate"]["href"] == "/attempt"
    assert client.game(retry["shell-game"]["data"]).stage == "attempt"


def test_when_the_explainer_fails_the_round_says_explanation_unavailable(
    client, fake_explainer
) -> None:
    fake_explainer[0].fail = True
    pointer = client.start_game()
    wait_for_heatmaps(client, pointer)
    client.lock_in(pointer, "Audi", "A4")
    text = json.dumps(client.page("/result", pointer))
    assert "Explanation unavailable" in text
    assert ids.RESULT_TRUTH_SWITCH not in text
    assert client.game(pointer).current_round.heatmap_shown is False


def test_a_round_records_that_its_heatmap_was_shown(client) -> None:
    pointer = client.start_game()
    wait_for_heatmaps(client, pointer)
    assert client.game(pointer).current_round.heatmap_shown is False
    client.lock_in(pointer, "Audi", "A4")
    assert client.game(pointer).current_round.heatmap_shown is True


def test_a_wrong_ai_offers_the_heatmap_of_the_true_car(client) -> None:
    pointer = client.start_game()
    for _ in range(100):  # bounded: a game of only AI-right rounds is followed by a new game
        game = client.game(pointer)
        if game.stage == "finished":
            pointer = client.start_game()
        elif game.current_round.ai_guess != game.current_round.truth:
            break
        else:
            client.lock_in(pointer, "Audi", "A4")
            client.next_round(pointer)
    else:
        pytest.fail("no round where the AI was wrong")
    wait_for_heatmaps(client, pointer)
    client.lock_in(pointer, "Audi", "A4")
    content = client.page("/result", pointer)
    game_round = client.game(pointer).current_round
    truth_panel = client.find(content, ids.RESULT_TRUTH_HEATMAP)
    assert f"/media/{game_round.truth_heatmap_token}" in json.dumps(truth_panel)
    assert "d-none" in truth_panel["props"]["className"]
    # Opened beside the AI's own heatmap, which stays in view.
    shown = client.callback({f"{ids.RESULT_TRUTH_SWITCH}.value": True})
    assert set(shown) == {ids.RESULT_TRUTH_HEATMAP}
    assert "d-none" not in shown[ids.RESULT_TRUTH_HEATMAP]["className"]


def test_media_urls_hide_image_ids_and_file_names(client, web_catalog) -> None:
    pointer = client.start_game()
    game = client.game(pointer)
    for game_round in game.rounds:
        image = web_catalog.get(game_round.image_id)
        assert game_round.image_id not in game_round.image_token
        assert Path(image.file).stem not in game_round.image_token
        response = client.http.get(f"/media/{game_round.image_token}")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.data != web_catalog.path(image).read_bytes()  # re-encoded per game
    assert client.http.get("/media/not-a-token-at-all-0000").status_code == 404


def test_a_game_survives_a_restart_of_the_web_process(web_config, dash_client) -> None:
    before = dash_client(create_app(web_config))
    pointer = before.start_game()
    before.lock_in(pointer, "Volvo", "XC90")
    image_token = before.game(pointer).current_round.image_token
    cookie = before.http.get_cookie("cargame_session")

    after = dash_client(create_app(web_config))
    after.http.set_cookie("cargame_session", cookie.value)
    content = after.page("/result", pointer)
    assert redirect_target(after, content) is None
    assert "Round 1 of 5" in json.dumps(content) and "this round" in json.dumps(content)
    assert after.http.get(f"/media/{image_token}").status_code == 200
    assert after.next_round(pointer)["shell-navigate"]["href"] == "/attempt"


@pytest.mark.services
def test_with_redis_games_and_photos_live_in_redis(make_web_config, dash_client, redis_url) -> None:
    config = make_web_config(session_backend="redis", redis_url=redis_url)
    connection = redis.Redis.from_url(redis_url)
    before = set(connection.scan_iter("cargame:*"))
    try:
        client = dash_client(create_app(config))
        pointer = client.start_game()
        game = client.game(pointer)
        assert connection.exists(f"cargame:game:{game.game_id}")
        assert not (config.path("cache") / "sessions").exists()
        assert client.http.get(f"/media/{game.current_round.image_token}").status_code == 200
        client.lock_in(pointer, "Audi", "A4")
        assert client.game(pointer).stage == "result"
        stranger = dash_client(create_app(config))
        stranger.http.get("/")
        assert stranger.game(pointer) is None
    finally:
        created = set(connection.scan_iter("cargame:*")) - before
        if created:
            connection.delete(*created)
        connection.close()


def test_the_default_profile_keeps_a_generated_secret_key(tmp_path) -> None:
    config = load_config("default", environ={}).with_overrides(
        {"paths": {"var": str(tmp_path / "var")}, "web": {"secret_key": ""}}
    )
    first = app_module.secret_key(config)
    assert len(first) >= 32
    assert app_module.secret_key(config) == first
    key_file = tmp_path / "var" / app_module.SECRET_FILE
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o077 == 0


def test_other_profiles_must_configure_the_secret_key() -> None:
    production = load_config("production", environ={}).with_overrides({"web": {"secret_key": ""}})
    with pytest.raises(ConfigError, match="secret_key"):
        app_module.secret_key(production)


def test_the_web_tier_never_imports_tensorflow(web_config) -> None:
    paths = {key: str(web_config.path(key)) for key in ("catalog", "cache", "var")}
    script = textwrap.dedent(
        f"""
        import sys
        import cargame.app
        from cargame.config import load_config
        config = load_config("test", environ={{}}).with_overrides({{"paths": {paths!r}}})
        app = cargame.app.create_app(config)
        app.server.test_client().get("/")
        loaded = [name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras")]
        assert not loaded, loaded
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_serve_runs_the_app_on_the_configured_address(web_config, monkeypatch) -> None:
    from flask import Flask

    from cargame.web import server as web

    calls = []
    monkeypatch.setattr(web.waitress, "serve", lambda app, **options: calls.append((app, options)))
    web.serve(web_config.with_overrides({"web": {"host": "0.0.0.0", "port": 8123}}))
    app, options = calls[0]
    assert isinstance(app, Flask)
    assert options["host"] == "0.0.0.0" and options["port"] == 8123
    assert options["threads"] >= 4


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_client_address_behind_trusted_proxies(web_config, proxies, seen) -> None:
    """Login throttling counts per address: behind nginx that is X-Forwarded-For, else the peer."""
    from flask import request

    server = create_app(web_config.with_overrides({"web": {"trusted_proxies": proxies}})).server
    server.add_url_rule("/_test/address", "address", lambda: request.remote_addr or "")
    response = server.test_client().get(
        "/_test/address", headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert response.get_data(as_text=True) == seen


def test_two_apps_in_one_process_share_nothing(web_config, dash_client, tmp_path) -> None:
    from cargame.accounts import guard
    from cargame.web.runtime import runtime

    second_config = web_config.with_overrides(
        {"paths": {"cache": str(tmp_path / "second-cache")}, "web": {"rounds": 3, "booth": True}}
    )
    first, second = create_app(web_config), create_app(second_config)
    with first.server.app_context():
        one = runtime()
    with second.server.app_context():
        two = runtime()
    assert one is not two and one.shelf is not two.shelf and one.progress is not two.progress
    assert (one.settings.rounds, one.booth) == (5, False)
    assert (two.settings.rounds, two.booth) == (3, True)

    player = dash_client(first)
    pointer = player.start_game()
    token = player.game(pointer).current_round.image_token
    same_browser = dash_client(second)
    same_browser.http.set_cookie("cargame_session", player.http.get_cookie("cargame_session").value)
    assert same_browser.http.get(f"/media/{token}").status_code == 404
    assert same_browser.game(pointer) is None
    assert player.http.get(f"/media/{token}").status_code == 200

    guard.protect_output(first.server, "two-apps-secret", "admin")
    with first.server.test_request_context():
        assert guard.required_role("two-apps-secret.children") == "admin"
    with second.server.test_request_context():
        assert guard.required_role("two-apps-secret.children") is None
