"""Findings 4, 5 and 9: throttling that cannot lock out an owner, constant-time sign-in, and
waitress trusting the proxy's X-Forwarded-For (so the throttle sees client addresses)."""

from __future__ import annotations

import time

from .conftest import login, register, signed_in_as

ATTACKER, OWNER, BYSTANDER = "203.0.113.9", "198.51.100.20", "192.0.2.33"


def _account(live, username: str) -> None:
    player = live.player()
    assert register(player.http, username).status_code == 302


def test_guessing_from_one_address_never_locks_out_the_owner(stack, serve) -> None:
    live = serve(stack(trusted_proxies=1))
    _account(live, "gina")
    attacker = live.player().http
    failures = [login(attacker, "gina", f"guess {n}", ATTACKER).status_code for n in range(5)]
    assert failures == [401] * 5
    paused = login(attacker, "gina", address=ATTACKER)  # even the right password waits
    assert paused.status_code == 429 and "Sign-in is paused" in paused.text
    assert int(paused.headers["Retry-After"]) >= 1
    owner = live.player().http
    assert login(owner, "gina", address=OWNER).status_code == 302
    assert signed_in_as(owner) == "gina"


def test_waitress_takes_the_client_address_from_the_trusted_proxy(stack, serve) -> None:
    """Behind nginx each client is counted on its own address..."""
    live = serve(stack(trusted_proxies=1))
    _account(live, "hugo")
    client = live.player().http
    for n in range(5):
        assert login(client, "hugo", f"wrong {n}", ATTACKER).status_code == 401
    assert login(client, "hugo", address=ATTACKER).status_code == 429
    assert login(client, "hugo", address=BYSTANDER).status_code == 302


def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(stack, serve) -> None:
    """... and without one nobody can pick an address by sending the header."""
    live = serve(stack(trusted_proxies=0))
    _account(live, "iris")
    client = live.player().http
    for n in range(5):
        assert login(client, "iris", f"wrong {n}", ATTACKER).status_code == 401
    assert login(client, "iris", address=BYSTANDER).status_code == 429


def test_an_unknown_username_answers_no_faster(live) -> None:
    _account(live, "julia")
    client = live.player().http

    def median_seconds(username: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert login(client, username, "not the password").status_code == 401
            times.append(time.perf_counter() - start)
        return sorted(times)[1]

    known, unknown = median_seconds("julia"), median_seconds("nobody-by-that-name")
    # Before: ~30 ms against ~200 ms. Both now pay for one scrypt check.
    assert unknown > 0.5 * known, (known, unknown)


def test_a_burst_of_parallel_guesses_is_counted_as_it_arrives(stack, serve) -> None:
    """Each attempt is counted before its password check, so sixteen guesses sent at once from
    one address get five answers and eleven refusals, not sixteen answers."""
    import threading

    from .conftest import CSRF_PATTERN

    live = serve(stack(trusted_proxies=1))
    _account(live, "kim")
    guessers = [live.player().http for _ in range(16)]
    forms = []
    for http in guessers:
        token = CSRF_PATTERN.search(http.get("/login").text)
        assert token
        forms.append({"csrf_token": token.group(1), "username": "kim", "password": "guess"})
    start, statuses = threading.Barrier(len(guessers)), [0] * len(guessers)

    def guess(index: int) -> None:
        start.wait()
        headers = {"X-Forwarded-For": ATTACKER}
        statuses[index] = (
            guessers[index].post("/login", data=forms[index], headers=headers).status_code
        )

    threads = [threading.Thread(target=guess, args=(index,)) for index in range(len(guessers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [401] * 5 + [429] * 11
