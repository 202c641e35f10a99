"""Findings 2 and 3: a shared screen hands nothing over, and sessions can end.

The session id and the game binding are replaced on sign-in and registration, the server
forgets a session on sign-out and "Next player", and a guest's games pass to an account only
through "Keep this game" on that game's final page.
"""

from __future__ import annotations

import json

from dash_wire import DashClient

from .conftest import login, register, signed_in_as, submit

ROUNDS = 5


def _play(client: DashClient, rounds: int = ROUNDS) -> str:
    """Start a game and play `rounds` rounds of it, guessing an Audi A4; returns the pointer."""
    return client.play([("Audi", "A4")] * rounds)


def _profile(player: DashClient) -> str:
    return json.dumps(player.page("/profile"))


def _cookie(player: DashClient) -> str:
    cookie = player.http.get_cookie("cargame_session")
    assert cookie is not None
    return cookie.value


def _copy(live, cookie: str) -> DashClient:
    other = live.player()
    other.http.set_cookie("cargame_session", cookie)
    return other


def test_the_next_person_on_a_shared_screen_gets_nothing_of_the_guest(live) -> None:
    guest = live.player()
    finished = _play(guest)
    running = guest.start_game()  # a second game, left in round 1
    # The next person registers on the same browser.
    assert register(guest.http, "nextperson").status_code == 302
    assert "No finished games yet" in _profile(guest)
    for pointer in (running, finished):
        assert guest.game(pointer) is None
        assert "No game to show here" in json.dumps(guest.page("/attempt", pointer))


def test_at_the_booth_too_when_nobody_presses_next_player(stack, serve) -> None:
    live = serve(stack(booth=True))
    guest = live.player()
    _play(guest)
    running = guest.start_game()
    guest.lock_in(running, "Audi", "A4")
    assert register(guest.http, "boothvisitor").status_code == 302
    assert "No finished games yet" in _profile(guest)
    assert guest.game(running) is None


def test_a_guest_keeps_a_game_only_with_its_keep_link(live) -> None:
    guest = live.player()
    pointer = _play(guest)
    finish = guest.page("/finish", pointer)
    keep = guest.find(finish, "finish-keep")
    assert keep is not None
    assert register(guest.http, "keeper", path=keep["props"]["href"]).status_code == 302
    assert "keeper's games" in _profile(guest) and "No finished games yet" not in _profile(guest)


def test_a_cookie_copied_before_sign_in_is_worthless_after_it(live) -> None:
    victim = live.player()
    victim.http.get("/")
    before = _cookie(victim)
    assert login_or_register(victim) == 302
    after = _cookie(victim)
    assert after != before  # a new session id on sign-in
    pointer = victim.start_game()
    attacker = _copy(live, before)
    assert signed_in_as(attacker.http) is None
    assert attacker.game(pointer) is None
    assert "No game to show here" in json.dumps(attacker.page("/attempt", pointer))


def test_sign_out_ends_the_session_on_the_server(live) -> None:
    victim = live.player()
    assert login_or_register(victim) == 302
    pointer = victim.start_game()
    thief = _copy(live, _cookie(victim))
    assert signed_in_as(thief.http) == "victim"  # a stolen cookie works while the session lives
    assert thief.game(pointer) is not None
    assert submit(victim.http, "/logout", {}).status_code == 302
    assert signed_in_as(thief.http) is None  # ... and not a moment after sign-out
    assert thief.game(pointer) is None


def test_next_player_ends_the_session_on_the_server(stack, serve) -> None:
    live = serve(stack(booth=True))
    guest = live.player()
    pointer = guest.start_game()
    copy = _copy(live, _cookie(guest))
    assert copy.game(pointer) is not None
    assert submit(guest.http, "/next-player", {}).status_code == 302
    assert copy.game(pointer) is None and guest.game(pointer) is None


def login_or_register(player: DashClient, username: str = "victim") -> int:
    response = login(player.http, username)
    if response.status_code == 401:
        response = register(player.http, username)
    return response.status_code


def test_a_request_in_flight_cannot_bring_a_signed_out_session_back(live) -> None:
    """A slow request that loaded the session before sign-out ends after it: nothing of that
    session may be written back, or a stolen cookie would work again."""
    server = live.app.server
    victim = live.player()
    assert login_or_register(victim) == 302
    cookie = _cookie(victim)
    interface = server.session_interface
    with server.test_request_context(headers={"Cookie": f"cargame_session={cookie}"}):
        from flask import request

        in_flight = interface.open_session(server, request)  # e.g. a game start, still running
        in_flight["cargame_current_game"] = "a-game-started-meanwhile"
        in_flight.modified = True
    assert submit(victim.http, "/logout", {}).status_code == 302
    with server.test_request_context():
        interface.save_session(server, in_flight, server.response_class())
    thief = _copy(live, cookie)
    assert signed_in_as(thief.http) is None


def test_a_keep_link_does_not_carry_the_session_id(live) -> None:
    """The link lands in browser history and server logs; its signed (not encrypted) payload
    must not hold the session id, which is the session cookie's value."""
    from urllib.parse import parse_qs, urlsplit

    from itsdangerous import URLSafeTimedSerializer

    guest = live.player()
    pointer = _play(guest)
    link = guest.find(guest.page("/finish", pointer), "finish-keep")["props"]["href"]
    token = parse_qs(urlsplit(link).query)["keep"][0]
    _valid, payload = URLSafeTimedSerializer("any key").loads_unsafe(token)
    assert isinstance(payload, dict) and set(payload) == {"game", "session"}
    assert _cookie(guest) not in json.dumps(payload)
