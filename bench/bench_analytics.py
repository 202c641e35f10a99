"""Analytics on a million rounds: query time per view and filter change, callback JSON, export.

Creates a separate PostgreSQL database (`cargame_bench` on 127.0.0.1:5432, user postgres, trust
auth; dropped and created again each run unless --skip-fill), runs the Alembic migrations and
fills it with COPY: 200,000 games and 1,000,000 rounds by default (5 rounds per game on
average), generated from a seeded numpy Generator, so every run writes the same rows. The mix:
60 car models of 26 makes with skewed popularity, model versions 1-3 rolled out over 90 days,
solo/booth 70/30, finished/abandoned/started 80/15/5, about 3,300 registered players (skewed
activity, a skill each) and guests; humans ~35 % exact / ~55 % right make, the AI 70-85 %
exact by version, its top-1 confidence higher when right, 1-30 s per guess, heatmap flags; a
game's rounds_played, scores and winner are those of its rounds. Then VACUUM ANALYZE.

Then it times every analytics query function that exists when it runs: `options.filter_options`
and every public function of a `cargame.analytics` module taking `(session, filters, ...)`
(Literal parameters are tried with each value: overview.accuracy by mode and by version),
for six filter changes, each in a fresh session as the pages run them (their work_mem, no
JIT); fires each analytics page callback through the real app (Flask test client, signed in as
an analyst) with no filters and measures the response JSON; and streams the CSV and Parquet
exports of every round in a fresh subprocess each, sampling its resident memory. Goals (issue
9): p95 < 500 ms per view, callback JSON < 300 kB per view, export memory flat.

Prints markdown tables (progress goes to stderr) and writes nothing else; the database is
dropped at the end unless --keep.

    .venv/bin/python bench/bench_analytics.py [--games 200000] [--repeats 5] [--keep] [--skip-fill]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import pkgutil
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import bench_support  # noqa: F401  (puts tests/ on sys.path)
import numpy as np
import psycopg
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from cargame.accounts import migrations
from cargame.accounts.db import create_db_engine, session_factory
from cargame.accounts.models import Game, GameRound
from cargame.analytics.filters import Filters

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"
ADMIN_DB, BENCH_DB = "test", "cargame_bench"
BENCH_URL = f"postgresql+psycopg://{USER}@{HOST}:{PORT}/{BENCH_DB}"
SEED = 20261205
DAYS = 90
LAST_DAY = date(2026, 11, 30)  # fixed, so that every run writes the same rows
ROUNDS_PER_GAME = 5  # the target average: --games 200000 gives 1,000,000 rounds
TALLIES = ("human_exact", "human_make", "ai_exact", "ai_make")  # the games row's hit counts
GOAL_P95_MS = 500.0
GOAL_CALLBACK_BYTES = 300_000
ANALYST, PASSWORD = "bench-analyst", "correct horse battery"
COPY_ROWS = 100_000
STAMP = time.monotonic()

CARS: dict[str, list[str]] = {
    "Audi": ["A4", "Q5", "TT"],
    "BMW": ["3 Series", "X5", "i3"],
    "Mercedes-Benz": ["C-Class", "E-Class", "GLC"],
    "Volkswagen": ["Golf", "Passat", "Tiguan"],
    "Toyota": ["Corolla", "RAV4", "Prius"],
    "Ford": ["Focus", "Mustang", "F-150"],
    "Honda": ["Civic", "Accord", "CR-V"],
    "Fiat": ["500", "Panda", "Tipo"],
    "Volvo": ["XC90", "V60"],
    "Porsche": ["911", "Cayenne"],
    "Tesla": ["Model 3", "Model S"],
    "Renault": ["Clio", "Megane"],
    "Peugeot": ["208", "3008"],
    "Mazda": ["MX-5", "CX-5"],
    "Nissan": ["Leaf", "Qashqai"],
    "Hyundai": ["i30", "Tucson"],
    "Kia": ["Ceed", "Sportage"],
    "Skoda": ["Octavia", "Fabia"],
    "Seat": ["Ibiza", "Leon"],
    "Opel": ["Corsa", "Astra"],
    "Citroen": ["C3", "Berlingo"],
    "Mini": ["Cooper", "Countryman"],
    "Land Rover": ["Defender", "Range Rover"],
    "Jaguar": ["F-Type", "XE"],
    "Subaru": ["Impreza", "Outback"],
    "Chevrolet": ["Corvette", "Camaro"],
}
PHOTOS_PER_CAR = 20
AI_EXACT = {1: 0.77, 2: 0.85, 3: 0.91}  # before the per-car difficulty spreads them out
HUMAN_EXACT = {"solo": 0.42, "booth": 0.34}
MAKE_GIVEN_MISS_HUMAN = 0.31
MAKE_GIVEN_MISS_AI = 0.5
NO_ANSWER = 0.015


def log(message: str) -> None:
    print(f"[{time.monotonic() - STAMP:7.1f} s] {message}", file=sys.stderr, flush=True)


def conninfo(dbname: str) -> str:
    return f"host={HOST} port={PORT} user={USER} dbname={dbname}"


# --------------------------------------------------------------------------------------------
# The generated data


@dataclass
class Generated:
    users: int
    games: dict[str, np.ndarray]
    rounds: dict[str, np.ndarray]
    labels: list[str]
    label_make: np.ndarray  # make index per label
    makes: list[str]
    images: list[str]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _hex_ids(rng: np.random.Generator, count: int) -> list[str]:
    words = rng.integers(0, np.iinfo(np.uint64).max, size=(count, 2), dtype=np.uint64).tolist()
    return [f"{a:016x}{b:016x}" for a, b in words]


def generate(games: int, seed: int = SEED) -> Generated:
    """Every column of every game and round, as numpy arrays (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    makes = list(CARS)
    labels = [f"{make}/{model}" for make in makes for model in CARS[make]]
    label_make = np.array([makes.index(label.split("/")[0]) for label in labels])
    models_of = [np.flatnonzero(label_make == m) for m in range(len(makes))]
    n_labels = len(labels)
    popularity = 1.0 / (rng.permutation(n_labels) + 4.0) ** 0.9
    popularity /= popularity.sum()
    human_difficulty = rng.normal(0, 0.7, n_labels)
    ai_difficulty = rng.normal(0, 0.8, n_labels)
    images = _hex_ids(rng, n_labels * PHOTOS_PER_CAR)
    users = max(50, games // 60)

    # Games: more of them as the weeks go by and at weekends, mostly in the afternoon.
    first_day = LAST_DAY - timedelta(days=DAYS - 1)
    day_index = np.arange(DAYS)
    weekday = (np.array([first_day.toordinal() + d for d in day_index]) - 1) % 7  # 0 = Monday
    day_weight = (1 + day_index / DAYS) * np.where(weekday >= 5, 1.35, 1.0)
    day = rng.choice(DAYS, size=games, p=day_weight / day_weight.sum())
    second = np.clip(rng.normal(15.5, 3.5, games), 0.2, 23.9) * 3600
    epoch0 = np.datetime64(first_day.isoformat(), "us").astype(np.int64)
    started = epoch0 + (day * 86_400 + second).astype(np.int64) * 1_000_000
    order = np.argsort(started, kind="stable")
    started, day = started[order], day[order]
    booth = rng.random(games) < 0.30
    version = 1 + (day >= 30) + (day >= 60)
    drift = rng.random(games)
    version = np.clip(version + np.where(drift < 0.04, -1, np.where(drift > 0.95, 1, 0)), 1, 3)
    status = rng.choice(3, size=games, p=[0.80, 0.15, 0.05])  # finished, abandoned, started
    # Unfinished games (a fifth) hold 0 .. total-1 rounds: E[played] = 0.9 total - 0.1, so some
    # games are 10-round ones to make the average 5.
    mean_total = (ROUNDS_PER_GAME + 0.1) / 0.9
    rounds_total = np.where(rng.random(games) < (mean_total - 5) / 5, 10, 5)
    partial = (rng.random(games) * rounds_total).astype(np.int64)  # 0 .. total-1
    played = np.where(status == 0, rounds_total, partial)
    played = _exact_total(rng, played, rounds_total, status, games * ROUNDS_PER_GAME)
    guest = rng.random(games) < np.where(booth, 0.9, 0.45)
    user_weight = 1.0 / np.arange(1, users + 1) ** 0.8
    user = rng.choice(users, size=games, p=user_weight / user_weight.sum()) + 1
    user_id = np.where(guest, 0, user)
    skill = np.concatenate([[0.0], rng.normal(0, 0.5, users)])
    kept = (~guest) & (status == 0) & (rng.random(games) < 0.04)

    # Rounds, game by game in start order.
    total = int(played.sum())
    game_of = np.repeat(np.arange(games), played)
    starts = np.concatenate([[0], np.cumsum(played)[:-1]])
    number = np.arange(total) - starts[game_of] + 1
    truth = rng.choice(n_labels, size=total, p=popularity)
    image = truth * PHOTOS_PER_CAR + rng.integers(0, PHOTOS_PER_CAR, total)
    round_booth = booth[game_of]
    round_version = version[game_of]

    ai_base = np.array([0.0, *(_logit(AI_EXACT[v]) for v in (1, 2, 3))])[round_version]
    ai_exact = rng.random(total) < _sigmoid(ai_base + ai_difficulty[truth])
    ai_make_only = ~ai_exact & (rng.random(total) < MAKE_GIVEN_MISS_AI)
    ai_guess = _answers(rng, truth, ai_exact, ai_make_only, label_make, models_of)
    confidence = np.where(ai_exact, rng.beta(7, 2, total), rng.beta(3, 4, total))
    confidence = np.round(np.clip(confidence, 0.2, 0.999), 4)
    top5, probabilities = _top5(rng, truth, ai_guess, ai_exact, confidence, n_labels)
    top5_hit = (top5 == truth[:, None]).any(axis=1)
    ai_points = np.where(ai_exact, 2, np.where(label_make[ai_guess] == label_make[truth], 1, 0))

    heatmap = rng.random(total) < 0.6
    truth_heatmap = ~ai_exact & (rng.random(total) < 0.3)
    seen = np.cumsum(truth_heatmap) - truth_heatmap
    seen_before = (seen - np.concatenate([[0], np.cumsum(truth_heatmap)])[starts][game_of]) > 0
    human_base = np.where(round_booth, _logit(HUMAN_EXACT["booth"]), _logit(HUMAN_EXACT["solo"]))
    human_logit = (
        human_base
        + human_difficulty[truth]
        + skill[user_id[game_of]]
        + 0.04 * (number - 3)
        + 0.25 * seen_before
    )
    no_answer = rng.random(total) < NO_ANSWER
    human_exact = ~no_answer & (rng.random(total) < _sigmoid(human_logit))
    human_make_only = ~no_answer & ~human_exact & (rng.random(total) < MAKE_GIVEN_MISS_HUMAN)
    guess = _answers(rng, truth, human_exact, human_make_only, label_make, models_of)
    guess = np.where(no_answer, -1, guess)
    player_points = np.where(human_exact, 2, np.where(human_make_only, 1, 0))

    seconds = np.exp(rng.normal(np.log(7.0), 0.6, total)) * np.where(round_booth, 0.8, 1.0)
    seconds = np.round(np.where(no_answer, 30.0, np.clip(seconds, 1.0, 30.0)), 3)
    no_time = rng.random(total) < 0.005  # rounds recorded before times were kept

    # The games' own figures follow from their rounds.
    player_score = np.bincount(game_of, player_points, games).astype(np.int64)
    ai_score = np.bincount(game_of, ai_points, games).astype(np.int64)
    tallies = {
        name: np.bincount(game_of, hits.astype(np.int64), games).astype(np.int64)
        for name, hits in (
            ("human_exact", player_points >= 2),
            ("human_make", player_points >= 1),
            ("ai_exact", ai_points >= 2),
            ("ai_make", ai_points >= 1),
        )
    }
    busy = np.bincount(game_of, seconds + 6.0, games)  # guessing plus reading the answer
    ended = started + (busy * 1_000_000).astype(np.int64) + 20_000_000
    winner = np.where(player_score > ai_score, 0, np.where(ai_score > player_score, 1, 2))
    abandoned_at = ended + (rng.uniform(60, 3600, games) * 1_000_000).astype(np.int64)

    return Generated(
        users=users,
        games={
            "id": np.array(_hex_ids(rng, games)),
            "user_id": user_id,
            "booth": booth,
            "version": version,
            "status": status,
            "started_at": started,
            "finished_at": ended,
            "abandoned_at": abandoned_at,
            "rounds_total": rounds_total,
            "rounds_played": played,
            "player_score": player_score,
            "ai_score": ai_score,
            "winner": winner,
            "kept": kept,
            **tallies,
        },
        rounds={
            "game": game_of,
            "number": number,
            "image": image,
            "truth": truth,
            "guess": guess,
            "ai_guess": ai_guess,
            "confidence": confidence,
            "top5": top5,
            "probabilities": probabilities,
            "top5_hit": top5_hit,
            "player_points": player_points,
            "ai_points": ai_points,
            "seconds": seconds,
            "no_time": no_time,
            "heatmap": heatmap,
            "truth_heatmap": truth_heatmap,
        },
        labels=labels,
        label_make=label_make,
        makes=makes,
        images=images,
    )


def _exact_total(
    rng: np.random.Generator,
    played: np.ndarray,
    total: np.ndarray,
    status: np.ndarray,
    target: int,
) -> np.ndarray:
    """Nudge unfinished games' rounds by one until all games hold exactly `target` rounds."""
    played = played.copy()
    while (diff := target - int(played.sum())) != 0:
        if diff > 0:
            room = np.flatnonzero((status != 0) & (played < total - 1))
            if not len(room):  # every unfinished game is full: lengthen a finished one
                room = np.flatnonzero((status == 0) & (total == 5))
                pick = rng.choice(room, size=min(len(room), -(-diff // 5)), replace=False)
                total[pick] = 10
                played[pick] = 10
                continue
            pick = rng.choice(room, size=min(len(room), diff), replace=False)
            played[pick] += 1
        else:
            room = np.flatnonzero((status != 0) & (played > 0))
            pick = rng.choice(room, size=min(len(room), -diff), replace=False)
            played[pick] -= 1
    return played


def _answers(
    rng: np.random.Generator,
    truth: np.ndarray,
    exact: np.ndarray,
    make_only: np.ndarray,
    label_make: np.ndarray,
    models_of: list[np.ndarray],
) -> np.ndarray:
    """Label indexes: the truth, another model of its make, or a model of another make."""
    n_makes = len(models_of)
    sizes = np.array([len(models) for models in models_of])
    table = np.full((n_makes, max(sizes)), -1)
    for make, models in enumerate(models_of):
        table[make, : len(models)] = models
    truth_make = label_make[truth]
    place = np.zeros(len(label_make), dtype=np.int64)
    for models in models_of:
        place[models] = np.arange(len(models))
    position = place[truth]
    shift = 1 + (rng.random(len(truth)) * (sizes[truth_make] - 1)).astype(np.int64)
    sibling = table[truth_make, (position + shift) % sizes[truth_make]]
    other_make = (truth_make + rng.integers(1, n_makes, len(truth))) % n_makes
    other = table[other_make, (rng.random(len(truth)) * sizes[other_make]).astype(np.int64)]
    return np.where(exact, truth, np.where(make_only, sibling, other))


def _top5(
    rng: np.random.Generator,
    truth: np.ndarray,
    first: np.ndarray,
    exact: np.ndarray,
    confidence: np.ndarray,
    n_labels: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The AI's five labels (distinct, its answer first) and their falling probabilities; when
    it missed, the truth is among the other four two times in three."""
    count = len(truth)
    step = rng.integers(1, 15, count)
    top = (first[:, None] + step[:, None] * np.arange(5)[None, :]) % n_labels
    wanted = ~exact & (rng.random(count) < 0.65)
    slot = np.minimum(rng.geometric(0.55, count), 4)  # mostly second place
    already = top[:, 1:] == truth[:, None]
    has = already.any(axis=1)
    rows = np.flatnonzero(wanted & ~has)
    top[rows, slot[rows]] = truth[rows]
    rest = (1 - confidence) * rng.uniform(0.6, 0.95, count)
    shares = -np.sort(-rng.dirichlet(np.ones(4), count), axis=1)
    probabilities = np.round(np.minimum(shares * rest[:, None], confidence[:, None] * 0.98), 4)
    return top, np.concatenate([confidence[:, None], probabilities], axis=1)


# --------------------------------------------------------------------------------------------
# The database


def recreate_database() -> None:
    with psycopg.connect(conninfo(ADMIN_DB), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DB}")


def drop_database() -> None:
    with psycopg.connect(conninfo(ADMIN_DB), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _timestamps(values: np.ndarray) -> list[str]:
    return np.datetime_as_string(values.astype("datetime64[us]"), unit="us").tolist()


def _copy(
    connection: psycopg.Connection, table: str, columns: list[str], values: list[list[str]]
) -> None:
    """COPY the rows (columns of text values, already escaped) in chunks."""
    rows = len(values[0])
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for begin in range(0, rows, COPY_ROWS):
            part = [column[begin : begin + COPY_ROWS] for column in values]
            copy.write("".join("\t".join(row) + "\n" for row in zip(*part, strict=True)))


def _text(values: np.ndarray) -> list[str]:
    return values.astype(str).tolist()


def _bools(values: np.ndarray) -> list[str]:
    return np.where(values, "t", "f").tolist()


def fill(data: Generated) -> dict[str, float]:
    """COPY users, games and rounds; VACUUM ANALYZE. Returns the seconds of each step."""
    times: dict[str, float] = {}
    began = time.perf_counter()
    games, rounds = data.games, data.rounds
    g_count, r_count = len(games["id"]), len(rounds["game"])
    user_ids = np.arange(1, data.users + 1)
    created = (
        np.datetime64((LAST_DAY - timedelta(days=DAYS + 30)).isoformat(), "us").astype(np.int64)
        + np.sort(np.random.default_rng(SEED + 1).integers(0, 30 * 86_400, data.users)) * 10**6
    )
    null = r"\N"
    started = _timestamps(games["started_at"])
    finished = np.where(games["status"] == 0, _timestamps(games["finished_at"]), null).tolist()
    abandoned = np.where(games["status"] == 1, _timestamps(games["abandoned_at"]), null).tolist()
    game_columns = [
        games["id"].tolist(),
        np.where(games["user_id"] == 0, null, _text(games["user_id"])).tolist(),
        np.where(games["booth"], "booth", "solo").tolist(),
        ["cars"] * g_count,
        _text(games["version"]),
        np.array(["finished", "abandoned", "started"])[games["status"]].tolist(),
        started,
        finished,
        abandoned,
        _text(games["rounds_total"]),
        _text(games["rounds_played"]),
        _text(games["player_score"]),
        _text(games["ai_score"]),
        np.where(
            games["status"] == 0, np.array(["player", "ai", "draw"])[games["winner"]], null
        ).tolist(),
        _bools(games["kept"]),
        *(_text(games[name]) for name in TALLIES),
    ]
    labels = np.array(data.labels, dtype=object)
    makes = np.array([data.makes[m] for m in data.label_make], dtype=object)
    guess = rounds["guess"]
    answered = guess >= 0
    items = [f'{{"label": "{label}", "probability": ' for label in data.labels]
    top5, probabilities = rounds["top5"].tolist(), rounds["probabilities"].astype(str).tolist()
    top5_json = [
        "[" + "}, ".join(items[label] + p for label, p in zip(top, prob, strict=True)) + "}]"
        for top, prob in zip(top5, probabilities, strict=True)
    ]
    times["generate text"] = time.perf_counter() - began
    round_columns = [
        games["id"][rounds["game"]].tolist(),
        _text(rounds["number"]),
        np.array(data.images)[rounds["image"]].tolist(),
        labels[rounds["truth"]].tolist(),
        makes[rounds["truth"]].tolist(),
        np.where(answered, labels[np.maximum(guess, 0)], null).tolist(),
        np.where(answered, makes[np.maximum(guess, 0)], null).tolist(),
        top5_json,
        labels[rounds["ai_guess"]].tolist(),
        makes[rounds["ai_guess"]].tolist(),
        _text(rounds["confidence"]),
        _bools(rounds["top5_hit"]),
        _text(rounds["player_points"]),
        _text(rounds["ai_points"]),
        np.where(rounds["no_time"], null, _text(rounds["seconds"])).tolist(),
        _bools(rounds["heatmap"]),
        _bools(rounds["truth_heatmap"]),
        # The game's facts that each round carries for the analytics filters.
        np.where(games["booth"], "booth", "solo")[rounds["game"]].tolist(),
        _text(games["version"][rounds["game"]]),
        np.datetime_as_string(games["started_at"].astype("datetime64[us]"), unit="D")[
            rounds["game"]
        ].tolist(),
    ]
    times["generate text"] = time.perf_counter() - began
    log(f"text for {g_count:,} games and {r_count:,} rounds ready")

    began = time.perf_counter()
    with psycopg.connect(conninfo(BENCH_DB)) as connection:
        # The generator keeps every game's rounds consistent; skip the per-row FK triggers.
        connection.execute("SET session_replication_role = replica")
        connection.execute("SET synchronous_commit = off")
        connection.execute("SET maintenance_work_mem = '256MB'")
        _copy(
            connection,
            "users",
            ["id", "username", "password_hash", "role", "created_at"],
            [
                _text(user_ids),
                [f"player{i:05d}" for i in user_ids.tolist()],
                ["!"] * data.users,  # no password: these players cannot sign in
                ["player"] * data.users,
                _timestamps(created),
            ],
        )
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), max(id)) FROM users"
        )
        _copy(
            connection,
            "games",
            [
                "id",
                "user_id",
                "mode",
                "model_name",
                "model_version",
                "status",
                "started_at",
                "finished_at",
                "abandoned_at",
                "rounds_total",
                "rounds_played",
                "player_score",
                "ai_score",
                "winner",
                "kept_by_guest",
                *TALLIES,
            ],
            game_columns,
        )
        log("games copied")
        _copy(
            connection,
            "rounds",
            [
                "game_id",
                "round_number",
                "image_id",
                "truth",
                "truth_make",
                "guess",
                "guess_make",
                "ai_top5",
                "ai_guess",
                "ai_make",
                "ai_confidence",
                "ai_top5_hit",
                "player_points",
                "ai_points",
                "seconds",
                "heatmap_shown",
                "truth_heatmap_shown",
                "mode",
                "model_version",
                "game_day",
            ],
            round_columns,
        )
        connection.commit()
    times["COPY"] = time.perf_counter() - began
    log("rounds copied")
    began = time.perf_counter()
    with psycopg.connect(conninfo(BENCH_DB), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    times["VACUUM ANALYZE"] = time.perf_counter() - began
    return times


# --------------------------------------------------------------------------------------------
# Query timings


@dataclass
class View:
    name: str
    call: Callable[[Session, Filters], Any]
    module: str


def _literal_values(annotation: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    return None


def discover_views(sample_make: str, sample_label: str) -> tuple[list[View], list[str]]:
    """Every public `(session, filters, ...)` function of the analytics modules (Literal
    parameters with each of their values), plus `options.filter_options`; and what was skipped."""
    import cargame.analytics as package

    views: list[View] = []
    skipped: list[str] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda item: item.name):
        if info.name.startswith("_") or info.name in {"filters", "export", "stats", "pseudonyms"}:
            continue
        try:
            module = importlib.import_module(f"cargame.analytics.{info.name}")
        except Exception as error:  # another engineer's module, half written
            skipped.append(f"{info.name}: import failed ({type(error).__name__}: {error})")
            continue
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if info.name == "options" and name == "filter_options":
                views.append(View("options.filter_options", _options_call, info.name))
                continue
            parameters = list(inspect.signature(function).parameters.values())
            if [p.name for p in parameters[:2]] != ["session", "filters"]:
                continue
            try:
                hints = typing.get_type_hints(function)
            except Exception:
                hints = {}
            variants: list[dict[str, Any]] = [{}]
            unknown = False
            for parameter in parameters[2:]:
                choices = _literal_values(hints.get(parameter.name))
                if choices:
                    variants = [{**v, parameter.name: c} for v in variants for c in choices]
                elif parameter.default is not inspect.Parameter.empty:
                    continue
                elif parameter.name == "make":
                    variants = [{**v, "make": sample_make} for v in variants]
                elif parameter.name == "label":
                    variants = [{**v, "label": sample_label} for v in variants]
                else:
                    unknown = True
            if unknown:
                skipped.append(f"{info.name}.{name}: a required parameter without a known value")
                continue
            for kwargs in variants:
                shown = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
                label = f"{info.name}.{name}" + (f"({shown})" if shown else "")
                views.append(View(label, _bound(function, kwargs), info.name))
    return views, skipped


def _options_call(session: Session, _filters: Filters) -> Any:
    from cargame.analytics.options import filter_options

    return filter_options(session)


def _bound(function: Callable[..., Any], kwargs: dict[str, Any]) -> Callable[..., Any]:
    return lambda session, filters: function(session, filters, **kwargs)


def filter_changes(session: Session, make: str) -> list[tuple[str, Filters]]:
    last = session.scalar(select(func.max(Game.started_at)))
    last_day = last.date() if last else LAST_DAY
    version = session.scalar(select(func.max(Game.model_version)))
    week = last_day - timedelta(days=6)
    return [
        ("no filter", Filters()),
        ("last 7 days", Filters(start=week, end=last_day)),
        ("mode solo", Filters(modes=("solo",))),
        (f"version {version}", Filters(model_versions=(int(version),))),
        (f"make {make}", Filters(makes=(make,))),
        ("all combined", Filters(week, last_day, ("solo",), (int(version),), (make,))),
    ]


def tune_like_the_pages(connection: Any) -> None:
    """Each transaction gets what the analytics pages set in theirs (`_tune` in
    cargame/web/analytics_services.py): a bigger work_mem and no JIT."""
    from cargame.web.analytics_services import ANALYTICS_WORK_MEM

    connection.exec_driver_sql(f"SET LOCAL work_mem = '{ANALYTICS_WORK_MEM}'")
    connection.exec_driver_sql("SET LOCAL jit = off")


def percentile(values: list[float], share: float) -> float:
    """Nearest rank (the maximum of fewer than 20 values at p95)."""
    ordered = sorted(values)
    return ordered[max(0, int(np.ceil(share * len(ordered))) - 1)]


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)


def time_views(
    sessions: Callable[[], Session],
    views: list[View],
    changes: list[tuple[str, Filters]],
    repeats: int,
) -> dict[tuple[str, str], Timing]:
    timings: dict[tuple[str, str], Timing] = {}
    for view in views:
        for change, filters in changes:
            timing = Timing()
            for attempt in range(repeats + 1):  # the first call warms up and is not counted
                began = time.perf_counter()
                try:
                    with sessions() as session:
                        view.call(session, filters)
                except Exception as error:
                    timing.error = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
                    break
                if attempt:
                    timing.samples.append((time.perf_counter() - began) * 1000)
            timings[(view.name, change)] = timing
        worst = max(
            (timings[(view.name, c)].p95 for c, _ in changes if timings[(view.name, c)].samples),
            default=float("nan"),
        )
        log(f"{view.name}: worst p95 {worst:.0f} ms")
    return timings


def explain(engine: Any, view: View, filters: Filters) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement the view runs for these filters."""
    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_factory(engine)() as session:
            view.call(session, filters)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    plans = []
    with engine.connect() as connection:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            rows = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
            ).all()
            plans.append("\n".join(row[0] for row in rows))
    return plans


# --------------------------------------------------------------------------------------------
# The web app: callbacks and exports


def build_app(url: str, workdir: Path) -> Any:
    from support_web import build_catalog

    from cargame.app import create_app
    from cargame.config import load_config

    catalog = build_catalog(workdir / "catalog")
    config = load_config("test", environ={}).with_overrides(
        {
            "paths": {
                "catalog": str(catalog.root),
                "cache": str(workdir / "cache"),
                "var": str(workdir / "var"),
            },
            "database": {"url": url},
        }
    )
    return create_app(config)


def add_analyst(app: Any) -> None:
    from cargame.accounts import passwords
    from cargame.accounts.db import db_session
    from cargame.accounts.models import User

    with app.server.app_context(), db_session() as session:
        if session.scalar(select(User).where(User.username == ANALYST)) is None:
            hashed = passwords.hash_password(PASSWORD)
            session.add(User(username=ANALYST, password_hash=hashed, role="analyst"))
            session.commit()


def sign_in(client: Any) -> None:
    from accounts.conftest import AuthActions

    response = AuthActions(client).login(ANALYST, PASSWORD)
    if response.status_code != 302:
        raise RuntimeError(f"signing in as the analyst gave {response.status_code}")


@dataclass
class CallbackResult:
    page: str
    outputs: list[str]
    status: int
    size: int
    times: list[float]


def _outputs(output: str) -> list[str]:
    return output[2:-2].split("...") if output.startswith("..") else [output]


def fire_callbacks(app: Any, repeats: int) -> list[CallbackResult]:
    """Each callback with an `analytics-` output, with the filters cleared and the other inputs
    at their layout values, as the page fires it on load."""
    import dash
    from dash_wire import DashClient, find_component

    from cargame.web.components import analytics as ui

    client = DashClient(app)
    sign_in(client.http)
    filter_ids = {ui.DATES, ui.MODE, ui.VERSION, ui.MAKE}
    pages = sorted(
        page["path"]
        for page in dash.page_registry.values()
        if str(page.get("path", "")).startswith("/analytics")
    )
    layouts = {path: client.page(path) for path in pages}
    results = []
    for spec in client.dependencies:
        outputs = _outputs(spec["output"])
        if not any(item.startswith("analytics-") for item in outputs):
            continue
        if any(item["id"].startswith("{") for item in spec["inputs"] + spec["state"]):
            continue

        def value(item: dict[str, str]) -> Any:
            if item["id"] in filter_ids:
                return None
            for layout in layouts.values():
                found = find_component(layout, item["id"])
                if found is not None:
                    return found.get("props", {}).get(item["property"])
            return None

        page = next(
            (
                path
                for path, layout in layouts.items()
                if find_component(layout, outputs[0].split(".")[0]) is not None
            ),
            "?",
        )
        described = [{"id": o.split(".")[0], "property": o.split(".", 1)[1]} for o in outputs]
        payload = {
            "output": spec["output"],
            "outputs": described if spec["output"].startswith("..") else described[0],
            "inputs": [{**item, "value": value(item)} for item in spec["inputs"]],
            "state": [{**item, "value": value(item)} for item in spec["state"]],
            "changedPropIds": [f"{ui.DATES}.start_date"],
        }
        times, size, status = [], 0, 0
        for attempt in range(repeats + 1):
            began = time.perf_counter()
            response = client.http.post("/_dash-update-component", json=payload)
            elapsed = (time.perf_counter() - began) * 1000
            status, size = response.status_code, len(response.data)
            if attempt:
                times.append(elapsed)
        results.append(CallbackResult(page, outputs, status, size, times))
        log(f"callback {outputs[0]}: {size / 1000:.1f} kB, {statistics.median(times):.0f} ms")
    return results


def _status_kb(field_name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def export_worker(kind: str, url: str, expected: int) -> None:
    """In a fresh process: stream one export through the test client, sampling VmRSS."""
    import gc

    with tempfile.TemporaryDirectory(prefix="cargame-bench-") as folder:
        workdir = Path(folder)
        app = build_app(url, workdir)
        client = app.server.test_client()
        sign_in(client)
        # Warm up every code path (imports, pyarrow, the route) on an empty day.
        warm = client.get(
            f"/analytics/export.{kind}?start=2000-01-01&end=2000-01-01", buffered=False
        )
        for _chunk in warm.response:
            pass
        warm.close()
        gc.collect()
        baseline = _status_kb("VmRSS")
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset VmHWM to the current RSS
        samples: list[tuple[float, int]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append((time.perf_counter(), _status_kb("VmRSS")))
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        began = time.perf_counter()
        sampler.start()
        response = client.get(f"/analytics/export.{kind}", buffered=False)
        size = newlines = 0
        first_byte = None
        target = workdir / f"received.{kind}"
        with open(target, "wb") if kind == "parquet" else open(os.devnull, "wb") as sink:
            for chunk in response.response:
                chunk = chunk.encode() if isinstance(chunk, str) else chunk
                if first_byte is None:
                    first_byte = time.perf_counter() - began
                size += len(chunk)
                if kind == "csv":
                    newlines += chunk.count(b"\n")
                else:
                    sink.write(chunk)
        response.close()
        elapsed = time.perf_counter() - began
        done.set()
        sampler.join()
        peak = _status_kb("VmHWM")
        if kind == "csv":
            rows = newlines - 1
        else:
            import pyarrow.parquet as pq

            rows = pq.read_metadata(target).num_rows

        def at(share: float) -> int:
            moment = began + share * elapsed
            return next((rss for when, rss in samples if when >= moment), samples[-1][1])

        print(
            json.dumps(
                {
                    "kind": kind,
                    "status": response.status_code,
                    "rows": rows,
                    "expected": expected,
                    "bytes": size,
                    "seconds": elapsed,
                    "first_byte": first_byte,
                    "baseline_kb": baseline,
                    "peak_kb": peak,
                    "rss_kb": {f"{int(s * 100)}%": at(s) for s in (0.1, 0.5, 0.9)},
                    "samples": len(samples),
                }
            )
        )


def run_export(kind: str, expected: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--export-worker", kind, "--expected", str(expected)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        return {"kind": kind, "error": result.stderr.strip().splitlines()[-1:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# The report


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def report(
    fill_times: dict[str, float] | None,
    counts: dict[str, Any],
    views: list[View],
    skipped: list[str],
    changes: list[tuple[str, Filters]],
    matched: dict[str, int],
    timings: dict[tuple[str, str], Timing],
    callbacks: list[CallbackResult],
    exports: list[dict[str, Any]],
    plans: list[tuple[str, str, list[str]]],
    repeats: int,
) -> str:
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, {counts['server']}; load average "
        f"{os.getloadavg()[0]:.1f} at the end.",
        "",
        "| data | games | rounds | registered players | guest games | database size | fill |",
        "|---|---|---|---|---|---|---|",
    ]
    fill = (
        ", ".join(f"{name} {seconds:.0f} s" for name, seconds in fill_times.items())
        + f"; total {sum(fill_times.values()):.0f} s"
        if fill_times
        else "reused (--skip-fill)"
    )
    lines.append(
        f"| generated, seed {SEED} | {counts['games']:,} | {counts['rounds']:,} | "
        f"{counts['users']:,} | {counts['guest_games']:,} | {counts['size']} | {fill} |"
    )
    lines += [
        "",
        f"Query time per view and filter change, ms, p50 / p95 of {repeats} runs "
        "(after one warm-up run; each in a fresh session):",
        "",
    ]
    header = " | ".join(name for name, _ in changes)
    lines.append(f"| view | {header} | worst p95 | < 500 ms |")
    lines.append("|---|" + "---|" * (len(changes) + 2))
    for view in views:
        cells, worst = [], 0.0
        for change, _ in changes:
            timing = timings[(view.name, change)]
            if timing.error:
                cells.append(f"error: {timing.error}")
                continue
            cells.append(f"{_ms(timing.p50)} / {_ms(timing.p95)}")
            worst = max(worst, timing.p95)
        goal = "yes" if worst < GOAL_P95_MS else "**no**"
        lines.append(f"| `{view.name}` | " + " | ".join(cells) + f" | {_ms(worst)} | {goal} |")
    lines += [
        "",
        "| filter change | rounds matched | median of the views' p50 | slowest view "
        "(p95) | views over 500 ms |",
        "|---|---|---|---|---|",
    ]
    for change, _ in changes:
        good = [
            (v.name, timings[(v.name, change)]) for v in views if timings[(v.name, change)].samples
        ]
        slowest = max(good, key=lambda item: item[1].p95)
        over = sum(1 for _, t in good if t.p95 >= GOAL_P95_MS)
        lines.append(
            f"| {change} | {matched[change]:,} | {_ms(statistics.median(t.p50 for _, t in good))}"
            f" | `{slowest[0]}` {_ms(slowest[1].p95)} | {over} of {len(good)} |"
        )
    if skipped:
        lines += ["", "Not timed: " + "; ".join(skipped)]

    lines += [
        "",
        "Callback JSON per analytics callback (no filters, other inputs at their "
        f"layout values; time: median of {repeats} calls through the Flask test client):",
        "",
        "| page | outputs | HTTP | response kB | ms median | ms max | < 300 kB |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in sorted(callbacks, key=lambda c: (c.page, c.outputs)):
        names = ", ".join(o.split(".")[0].removeprefix("analytics-") for o in item.outputs)
        goal = "yes" if item.size < GOAL_CALLBACK_BYTES else "**no**"
        lines.append(
            f"| {item.page} | {names} | {item.status} | {item.size / 1000:.1f} | "
            f"{_ms(statistics.median(item.times))} | {_ms(max(item.times))} | {goal} |"
        )

    lines += [
        "",
        "Export of every round, streamed through the Flask test client in a fresh "
        "process (RSS sampled every 0.1 s; growth over the RSS after a warm-up export):",
        "",
        "| export | HTTP | rows (= rounds?) | MB | first byte s | total s | rows/s | "
        "RSS before MB | RSS at 10 / 50 / 90 % of the time, growth MB | peak growth MB "
        "(VmHWM) | flat |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for item in exports:
        if "error" in item:
            lines.append(f"| {item['kind']} | error: {' '.join(item['error'])} |" + " |" * 9)
            continue
        base = item["baseline_kb"]
        rss = " / ".join(f"{(v - base) / 1024:.0f}" for v in item["rss_kb"].values())
        growth = (item["peak_kb"] - base) / 1024
        flat = "yes" if growth < 64 else "**no**"
        same = "yes" if item["rows"] == counts["rounds"] else "**no**"
        lines.append(
            f"| {item['kind']} | {item['status']} | {item['rows']:,} ({same}) | "
            f"{item['bytes'] / 1e6:.1f} | {item['first_byte']:.1f} | {item['seconds']:.1f} | "
            f"{item['rows'] / item['seconds']:,.0f} | {base / 1024:.0f} | {rss} | "
            f"{growth:.0f} | {flat} |"
        )
    for view_name, change, statements in plans:
        lines += ["", f"EXPLAIN (ANALYZE, BUFFERS) of `{view_name}`, {change}:", ""]
        for plan in statements:
            lines += ["    " + line for line in plan.splitlines()] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--games", type=int, default=200_000, help="games to generate (5 rounds each on average)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--skip-fill", action="store_true", help="reuse the database as it is")
    parser.add_argument("--export-worker", help=argparse.SUPPRESS)
    parser.add_argument("--expected", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_worker:
        export_worker(args.export_worker, BENCH_URL, args.expected)
        return

    fill_times = None
    if not args.skip_fill:
        recreate_database()
        migrations.upgrade(BENCH_URL)
        began = time.perf_counter()
        data = generate(args.games)
        generated = time.perf_counter() - began
        log(f"generated in {generated:.1f} s")
        fill_times = {"generate": generated, **fill(data)}
        gen_text = fill_times.pop("generate text")
        fill_times["generate"] += gen_text
        log(f"filled in {sum(fill_times.values()):.0f} s")
        del data
    else:
        migrations.upgrade(BENCH_URL)

    engine = create_db_engine(BENCH_URL)
    event.listen(engine, "begin", tune_like_the_pages)
    sessions = session_factory(engine)
    try:
        with sessions() as session:
            counts = {
                "games": session.scalar(select(func.count()).select_from(Game)),
                "rounds": session.scalar(select(func.count()).select_from(GameRound)),
                "users": session.scalar(text("SELECT count(*) FROM users WHERE role = 'player'")),
                "guest_games": session.scalar(
                    select(func.count()).select_from(Game).where(Game.user_id.is_(None))
                ),
                "size": session.scalar(
                    text(f"SELECT pg_size_pretty(pg_database_size('{BENCH_DB}'))")
                ),
                "server": "PostgreSQL " + str(session.scalar(text("SHOW server_version"))),
            }
            make = session.execute(
                select(GameRound.truth_make)
                .group_by(GameRound.truth_make)
                .order_by(func.count().desc())
                .limit(1)
            ).scalar_one()
            label = session.execute(
                select(GameRound.truth)
                .where(GameRound.truth_make == make)
                .group_by(GameRound.truth)
                .order_by(func.count().desc())
                .limit(1)
            ).scalar_one()
            changes = filter_changes(session, make)
            matched = {
                change: session.scalar(
                    filters.on_rounds(select(func.count()).select_from(GameRound))
                )
                for change, filters in changes
            }
        views, skipped = discover_views(make, label)
        log(f"timing {len(views)} views x {len(changes)} filter changes x {args.repeats + 1}")
        timings = time_views(sessions, views, changes, args.repeats)
        plans = []  # per view over the goal, its slowest filter change; the slowest views first
        worst = []
        for view in views:
            timed = [
                (timings[(view.name, c)].p95, c, f)
                for c, f in changes
                if timings[(view.name, c)].samples
            ]
            if timed and max(timed)[0] >= GOAL_P95_MS:
                worst.append((max(timed, key=lambda item: item[0]), view))
        for (_p95, change, filters), view in sorted(worst, key=lambda item: -item[0][0])[:6]:
            plans.append((view.name, change, explain(engine, view, filters)))

        callbacks: list[CallbackResult] = []
        with tempfile.TemporaryDirectory(prefix="cargame-bench-") as folder:
            try:
                app = build_app(BENCH_URL, Path(folder))
                add_analyst(app)
                callbacks = fire_callbacks(app, args.repeats)
            except Exception as error:  # the pages are being written by others
                skipped.append(f"callbacks: {type(error).__name__}: {error}")
                log(f"callbacks failed: {error!r}")
        exports = []
        for kind in ("csv", "parquet"):
            log(f"exporting {kind}")
            exports.append(run_export(kind, counts["rounds"]))
            log(f"{kind}: {exports[-1]}")
        print(
            report(
                fill_times,
                counts,
                views,
                skipped,
                changes,
                matched,
                timings,
                callbacks,
                exports,
                plans,
                args.repeats,
            )
        )
    finally:
        engine.dispose()
        if not args.keep:
            drop_database()
            log(f"dropped {BENCH_DB}")


if __name__ == "__main__":
    main()
