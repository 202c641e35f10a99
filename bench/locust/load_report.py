"""The load test's figures from the locustfile's event log, and their bench/README.md section.

Windows: each step's actions are those logged while Locust ran that many players; the last step
is split at the web instance's kill ("50" before it, "50, kill" from it to the end).
Percentiles are numpy's (linear interpolation) over every action in the window.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ACTIONS = ("sign-in", "open", "start", "make", "lock-in", "next", "finish")
PAGE_CHANGES = ("lock-in", "next", "finish")
KNEE_MS = 300  # page-change p95 goal
START_GOAL_MS = 1500  # game-start p95 goal
SECTION = "## Load test"
TABLE_ROW = "| `bench_load.py`"


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    p50, p95, p99 = np.percentile(np.array(values), [50, 95, 99])
    return {"n": len(values), "p50": round(p50), "p95": round(p95), "p99": round(p99)}


def window_of(event: dict[str, Any], last: int, killed_at: float | None) -> str:
    users = int(event["users"])
    if users == last and killed_at is not None and event["t"] >= killed_at:
        return f"{last}, kill"
    return str(users)


def summarise(
    events: list[dict[str, Any]],
    steps: list[int],
    kill: dict[str, Any],
    stats_csv: Path,
    load: list[tuple[float, float]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Per window and action: percentiles, errors, retries, the machine's mean 1-minute load
    average (`load`: samples of (time, load)); games; the knee; the kill."""
    killed_at = kill.get("killed_at")
    names = [str(users) for users in steps] + ([f"{steps[-1]}, kill"] if killed_at else [])
    windows: dict[str, dict[str, Any]] = {}
    for name in names:
        inside = [e for e in events if window_of(e, steps[-1], killed_at) == name]
        actions = [e for e in inside if e["kind"] == "action"]
        timed = {a: [e["ms"] for e in actions if e["name"] == a and e["ok"]] for a in ACTIONS}
        heatmaps = [e for e in inside if e["kind"] == "heatmaps" and e["polled"]]
        windows[name] = {
            "actions": {a: percentiles(values) for a, values in timed.items()},
            "page_change": percentiles([ms for a in PAGE_CHANGES for ms in timed[a]]),
            "failed": sum(1 for e in actions if not e["ok"]),
            "retries": sum(1 for e in inside if e["kind"] == "retry"),
            "finished": sum(1 for e in inside if e.get("outcome") == "finished"),
            "heatmaps_polled": percentiles([e["seconds"] * 1000 for e in heatmaps if e["seconds"]]),
            "heatmaps_late": sum(1 for e in heatmaps if e["seconds"] is None),
            "load": _mean_load(load, [e["t"] for e in inside]),
        }
    knee = next(
        (n for n in map(str, steps) if windows[n]["page_change"].get("p95", 0) > KNEE_MS), None
    )
    return {
        "windows": windows,
        "whole_run": {a: percentiles(_all(events, a)) for a in ACTIONS},
        "games": _games(events),
        "knee": knee,
        "kill": {**kill, **_kill_cost(events, killed_at)} if killed_at else {},
        "failed_requests": _failed_requests(stats_csv),
        "steps": steps,
    }


def _mean_load(load: list[tuple[float, float]], times: list[float]) -> float | None:
    inside = [value for at, value in load if times and min(times) <= at <= max(times)]
    return round(sum(inside) / len(inside), 1) if inside else None


def _all(events: list[dict[str, Any]], action: str) -> list[float]:
    return [e["ms"] for e in events if e["kind"] == "action" and e["name"] == action and e["ok"]]


def _games(events: list[dict[str, Any]]) -> dict[str, int]:
    outcomes = Counter(e["outcome"] for e in events if e["kind"] == "game")
    started, finished, lost = outcomes["started"], outcomes["finished"], outcomes["lost"]
    return {"started": started, "finished": finished, "lost": lost}


def _kill_cost(events: list[dict[str, Any]], killed_at: float) -> dict[str, Any]:
    """Retries and losses from the kill on: per player, as a person would notice them."""
    after = [e for e in events if e["t"] >= killed_at]
    retries = Counter(e["player"] for e in after if e["kind"] == "retry")
    return {
        "retries": sum(retries.values()),
        "players_retrying": len(retries),
        "most_retries_by_one_player": max(retries.values(), default=0),
        "retried_actions": dict(Counter(e["action"] for e in after if e["kind"] == "retry")),
        "failed_actions": sum(1 for e in after if e["kind"] == "action" and not e["ok"]),
        "games_lost": sum(1 for e in after if e.get("outcome") == "lost"),
    }


def _failed_requests(stats_csv: Path) -> dict[str, int]:
    if not stats_csv.is_file():
        return {}
    with stats_csv.open() as stats:
        rows = list(csv.DictReader(stats))
    return {
        f"{row['Type']} {row['Name']}".strip(): int(row["Failure Count"])
        for row in rows
        if row["Name"] != "Aggregated" and int(row["Failure Count"])
    }


def _triple(figures: dict[str, Any]) -> str:
    if not figures.get("n"):
        return "-"
    return f"{figures['p50']:,} / {figures['p95']:,} / {figures['p99']:,}"


def met(ok: bool) -> str:
    return "met" if ok else "not met"


def overview_row(summary: dict[str, Any]) -> str:
    """The row of the overview table at the top of bench/README.md."""
    last = summary["windows"][str(summary["steps"][-1])]
    page, start = last["page_change"].get("p95", 0), last["actions"]["start"].get("p95", 0)
    games, steps = summary["games"], summary["steps"]
    knee = f"{summary['knee']} players" if summary["knee"] else f"no step up to {steps[-1]}"
    return (
        f"{TABLE_ROW} | Locust players through nginx on the local cluster, {steps[0]} to "
        f"{steps[-1]} at once; one web instance killed at {steps[-1]} | {steps[-1]} players: "
        "page change p95 < 300 ms, game start p95 "
        f"< 1.5 s, no error, no game lost | page change p95 {page:,} ms ({met(page < KNEE_MS)}), "
        f"start p95 {start:,} ms ({met(start < START_GOAL_MS)}); {games['finished']} games "
        f"finished, {games['lost']} lost; p95 passes 300 ms at {knee} |"
    )


def markdown(summary: dict[str, Any]) -> str:
    """The figures of the "Load test" section of bench/README.md (the prose is in bench_load)."""
    lines = [
        "| players | actions | page change p50 / p95 / p99 ms | start p50 / p95 / p99 ms "
        "| failed actions | retries | games finished | heatmaps polled p50 / p95 ms (late) "
        "| load average |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, window in summary["windows"].items():
        count = sum(figures.get("n", 0) for figures in window["actions"].values())
        lines.append(
            f"| {name} | {count:,} | {_triple(window['page_change'])} "
            f"| {_triple(window['actions']['start'])} | {window['failed']} | {window['retries']} "
            f"| {window['finished']} | {_triple(window['heatmaps_polled'])} "
            f"({window['heatmaps_late']}) | {window.get('load') or '-'} |"
        )
    last = str(summary["steps"][-1])
    lines += [
        "",
        f"Per action (ms), at {last} players before the kill and over the whole run:",
        "",
        f"| action | n at {last} | p50 / p95 / p99 at {last} | n, whole run "
        "| p50 / p95 / p99, whole run |",
        "|---|---|---|---|---|",
    ]
    for action in ACTIONS:
        at_last = summary["windows"][last]["actions"][action]
        whole = summary["whole_run"][action]
        lines.append(
            f"| {action} | {at_last.get('n', 0):,} | {_triple(at_last)} "
            f"| {whole.get('n', 0):,} | {_triple(whole)} |"
        )
    lines.append("| model | - | no request: the model tile is State of the lock-in | - | - |")
    return "\n".join(lines)


def write_readme(readme: Path, section: str, row: str) -> None:
    """Replace (or append) the Load test section and the overview table's row."""
    text = readme.read_text()
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section.rstrip() + "\n\n", text)
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    lines = text.split("\n")
    rows = [i for i, line in enumerate(lines) if line.startswith("| `bench_")]
    mine = [i for i in rows if lines[i].startswith(TABLE_ROW)]
    if mine:
        lines[mine[0]] = row
    elif rows:
        lines.insert(rows[-1] + 1, row)
    readme.write_text("\n".join(lines).rstrip() + "\n")
