"""The session-bound Serverside backend: only the session that wrote a game can read it back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from flask import Flask, session

from cargame.domain.game import GameData, Prediction, Round, new_game
from cargame.web import state

SESSION_A, SESSION_B = "session-a-" + "x" * 30, "session-b-" + "y" * 30


def sample_game() -> GameData:
    rounds = [
        Round("img1", "tok-image-1", "Audi/A4", [Prediction("Audi/A4", 0.9)], "tok-heat-1"),
        Round("img2", "tok-image-2", "BMW/X5", [Prediction("Audi/A4", 0.6)], None),
    ]
    return new_game(rounds, ["Audi/A4", "BMW/X5"], "cars", 3)


@pytest.fixture
def server() -> Flask:
    app = Flask("state-test")
    app.secret_key = "state-test-secret"
    return app


@contextmanager
def browser_session(server: Flask, session_id: str | None) -> Iterator[None]:
    """A request from a browser whose signed session holds this id (None: a new browser)."""
    with server.test_request_context("/_dash-update-component", method="POST"):
        if session_id is not None:
            session[state.SESSION_KEY] = session_id
        yield


@pytest.fixture(params=["diskcache", pytest.param("redis", marks=pytest.mark.services)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[state.Storage]:
    if request.param == "diskcache":
        disk = state.DiskStorage(tmp_path / "sessions")
        yield disk
        disk.close()
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"cargame:test:{uuid.uuid4().hex}:"
    yield state.RedisStorage(url, prefix=prefix)
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def backend(storage: state.Storage) -> state.SessionBoundBackend:
    return state.SessionBoundBackend(storage, ttl_seconds=60)


def test_the_writing_session_reads_its_game_back(server, backend) -> None:
    game = sample_game()
    with browser_session(server, SESSION_A):
        backend.set(game.game_id, game)
    with browser_session(server, SESSION_A):
        loaded = backend.get(game.game_id)
    assert isinstance(loaded, GameData)
    assert loaded.game_id == game.game_id and loaded.rounds[0].truth == "Audi/A4"


def test_a_key_replayed_from_another_session_reads_as_none(server, backend) -> None:
    game = sample_game()
    with browser_session(server, SESSION_A):
        backend.set(game.game_id, game)
    with browser_session(server, SESSION_B):
        assert backend.get(game.game_id) is None
        assert not backend.has(game.game_id)
    with browser_session(server, None):
        assert backend.get(game.game_id) is None


def test_a_new_browser_gets_a_session_id_when_it_first_writes(server, backend) -> None:
    game = sample_game()
    with browser_session(server, None):
        backend.set(game.game_id, game)
        created = session[state.SESSION_KEY]
        assert backend.get(game.game_id) is not None
    assert len(created) >= 40
    with browser_session(server, created):
        assert backend.get(game.game_id) is not None


@pytest.mark.parametrize(
    "key", ["", "short", "../../etc/passwd", "x" * 65, "key with spaces", None, 42, ["k"]]
)
def test_malformed_or_unknown_keys_read_as_none(server, backend, key) -> None:
    with browser_session(server, SESSION_A):
        assert backend.get(key) is None


def test_only_well_formed_keys_are_written(server, backend) -> None:
    with browser_session(server, SESSION_A), pytest.raises(ValueError):
        backend.set("../escape", sample_game())


def test_an_unreadable_entry_reads_as_none(server, backend, storage) -> None:
    storage.write("deadbeefdeadbeef", b"not a pickle", 60)
    with browser_session(server, SESSION_A):
        assert backend.get("deadbeefdeadbeef") is None


def test_entries_expire(server, storage) -> None:
    backend = state.SessionBoundBackend(storage, ttl_seconds=1)
    game = sample_game()
    with browser_session(server, SESSION_A):
        backend.set(game.game_id, game)
        assert backend.get(game.game_id) is not None
        time.sleep(1.3)
        assert backend.get(game.game_id) is None


def test_writing_the_same_game_replaces_the_older_state(server, backend) -> None:
    game = sample_game()
    with browser_session(server, SESSION_A):
        backend.set(game.game_id, game)
        game.guess("BMW/X5")
        backend.set(state.pointer(game).key, game)
        assert backend.get(game.game_id).stage == "result"


def test_disk_entries_survive_a_new_process(server, tmp_path) -> None:
    game = sample_game()
    first = state.DiskStorage(tmp_path / "sessions")
    with browser_session(server, SESSION_A):
        state.SessionBoundBackend(first, 60).set(game.game_id, game)
    first.close()
    second = state.DiskStorage(tmp_path / "sessions")
    with browser_session(server, SESSION_A):
        assert state.SessionBoundBackend(second, 60).get(game.game_id).game_id == game.game_id
    second.close()


def test_only_well_formed_pointers_to_this_backend_are_read(server, backend) -> None:
    game = sample_game()
    good = f'SERVERSIDE_{{"backend_uid": "game", "key": "{game.game_id}"}}'
    malformed = [
        "SERVERSIDE_not json",
        "SERVERSIDE_[1, 2]",
        'SERVERSIDE_{"backend_uid": "FileSystemBackend", "key": "x"}',
        'SERVERSIDE_{"backend_uid": "game"}',
        'SERVERSIDE_{"backend_uid": "game", "key": {"$ne": 1}}',
        'SERVERSIDE_{"backend_uid": "game", "key": "../../etc/passwd"}',
        "SERVERSIDE_" + "[" * 100_000,
    ]
    assert state.pointer_key(good) == game.game_id
    for pointer in malformed:
        assert state.pointer_key(pointer) is None, pointer
        assert state.screened(pointer) == state.INVALID_POINTER
    # Values that are not pointers pass through untouched (dropdown values, etc.).
    assert state.screened("Audi") == "Audi"
    assert state.screened(good) == good
    entries = [{"id": "a", "property": "data", "value": malformed[0]}, [{"value": "Audi"}]]
    assert state.screened(entries) == [
        {"id": "a", "property": "data", "value": state.INVALID_POINTER},
        [{"value": "Audi"}],
    ]
    server.extensions[state.EXTENSION] = backend
    with browser_session(server, SESSION_A):
        backend.set(game.game_id, game)
        assert state.load_game(good).game_id == game.game_id
        assert state.load_game(malformed[0]) is None
    with browser_session(server, SESSION_B):
        assert state.load_game(good) is None


def test_as_game_refuses_anything_but_a_game() -> None:
    assert state.as_game({"stage": "finished", "player_score": 99}) is None
    assert state.as_game("SERVERSIDE_x") is None
    game = sample_game()
    assert state.as_game(game) is game


@pytest.mark.services
def test_create_storage_follows_the_config(tmp_path, redis_url) -> None:
    from cargame.config import load_config

    base = load_config("test", environ={}).with_overrides({"paths": {"cache": str(tmp_path)}})
    disk = state.create_storage(base)
    assert isinstance(disk, state.DiskStorage)
    assert disk.directory == tmp_path / "sessions"
    disk.close()
    remote = base.with_overrides({"web": {"session_backend": "redis", "redis_url": redis_url}})
    assert isinstance(state.create_storage(remote), state.RedisStorage)
    with pytest.raises(ValueError):
        state.create_storage(base.with_overrides({"web": {"session_backend": "memcached"}}))


def _dash_post(client, output: str, trigger: str, *state_value: object) -> dict:
    body = {
        "output": output,
        "outputs": {"id": output.rsplit(".", 1)[0], "property": output.rsplit(".", 1)[1]},
        "inputs": [{"id": trigger, "property": "n_clicks", "value": 1}],
        "changedPropIds": [f"{trigger}.n_clicks"],
        "state": [{"id": "pin-store", "property": "data", "value": value} for value in state_value],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def test_dash_extensions_round_trip_is_pinned(server, backend) -> None:
    """Fails if a dash-extensions upgrade changes the pointer format or how pointers are loaded:
    the stock ServersideOutputTransform writes through our backend, reads a screened pointer
    back through it, and never sees a malformed one."""
    from dash import html
    from dash_extensions.enrich import DashProxy, Input, Output, State, dcc

    server.extensions[state.EXTENSION] = backend
    server.before_request(state.screen_pointers)
    app = DashProxy(__name__, server=server, transforms=[state.create_transform(backend)])
    app.layout = html.Div(
        [dcc.Store(id="pin-store"), html.Button(id="pin-write"), html.Button(id="pin-read")]
        + [html.Div(id="pin-out")]
    )
    game = sample_game()

    @app.callback(Output("pin-store", "data"), Input("pin-write", "n_clicks"))
    def write(_clicks):
        return state.pointer(game)

    @app.callback(
        Output("pin-out", "children"), Input("pin-read", "n_clicks"), State("pin-store", "data")
    )
    def read(_clicks, value):
        loaded = state.as_game(value)
        return loaded.game_id if loaded else f"none:{value}"

    client = server.test_client()
    client.get("/_dash-dependencies")
    written = _dash_post(client, "pin-store.data", "pin-write")["pin-store"]["data"]
    assert state.pointer_key(written) == game.game_id
    assert _dash_post(client, "pin-out.children", "pin-read", written) == {
        "pin-out": {"children": game.game_id}
    }
    for forged in ["SERVERSIDE_not json", 'SERVERSIDE_{"backend_uid": "other", "key": "abcdefgh"}']:
        read_back = _dash_post(client, "pin-out.children", "pin-read", forged)
        assert read_back == {"pin-out": {"children": f"none:{state.INVALID_POINTER}"}}
    stranger = server.test_client()
    assert _dash_post(stranger, "pin-out.children", "pin-read", written) == {
        "pin-out": {"children": "none:None"}
    }


def test_two_lock_ins_of_one_round_store_only_the_first(server, backend) -> None:
    """Compare-and-set in both backends: two copies of the same game state, two guesses."""
    game = sample_game()
    with browser_session(server, SESSION_A):
        backend.set(game.game_id, game)
        first, second = backend.get(game.game_id), backend.get(game.game_id)
        first.guess("Audi/A4")
        second.guess("BMW/X5")
        assert backend.commit(game.game_id, first).current_round.guess == "Audi/A4"
        kept = backend.commit(game.game_id, second)  # the second one gets the first result
        assert kept.current_round.guess == "Audi/A4" and kept.revision == first.revision
        backend.set(game.game_id, second)  # the transform's own write is refused the same way
        assert backend.get(game.game_id).current_round.guess == "Audi/A4"
        first.next_round()  # a newer state goes through
        assert backend.commit(game.game_id, first).stage == "attempt"


def test_another_session_cannot_overwrite_a_game(server, backend) -> None:
    game = sample_game()
    with browser_session(server, SESSION_A):
        backend.set(game.game_id, game)
    forged = sample_game()
    forged.game_id = game.game_id
    forged.revision = 99
    with browser_session(server, SESSION_B):
        backend.set(game.game_id, forged)
    with browser_session(server, SESSION_A):
        assert backend.get(game.game_id).revision == 0
