"""Load test: simulated players through nginx on the local cluster, stepped up to 50 at once.

Starts the scaled topology from its one description (deploy/cluster.py and Procfile.cluster,
as tests/deploy does) on the model and catalog `scripts/run` uses (the demo garage and model,
built when missing), in its own PostgreSQL database and Redis database, warms the explainers'
cache with `cargame precompute` (every opponent level's servable), then runs Locust headless
with bench/locust/locustfile.py: 10, 20, 30, 40 and 50 players, each step held `--step-seconds`.
Late in the 50-player step one web instance is SIGKILLed (master and workers, as a crashing
container); honcho's loop starts it again and nginx sends requests to the other meanwhile.

Per step and action: p50/p95/p99 from every action's time (click to page shown, from the
locustfile's event log), errors, retries, games started, finished and lost, the first step whose
page-change p95 (lock-in, next, finish) passes 300 ms, and what the kill cost. Checked against
the database too: every game the players started is finished there. Results (Locust's CSV,
the event log, summary.json, the cluster's log) go to a temporary folder; the summary replaces
the "Load test" section of bench/README.md and its row in the overview (unless --no-readme).

    .venv/bin/python bench/bench_load.py [--steps 10,20,30,40,50] [--step-seconds 150]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import bench_support  # noqa: F401  (puts tests/ on sys.path)
import psutil
from sqlalchemy import create_engine, text
from support import free_port
from support_cluster import DEPLOY, Running, forget, launch, load_deploy_module, stop

from cargame.config import load_config
from cargame.domain.levels import Levels

ROOT = Path(__file__).resolve().parents[1]
LOCUST_DIR = ROOT / "bench" / "locust"
LOCUSTFILE = LOCUST_DIR / "locustfile.py"
sys.path.insert(0, str(LOCUST_DIR))
import load_report  # noqa: E402

DATABASE = "cargame_load"
REDIS_URL = "redis://127.0.0.1:6379/12"  # not the cluster tests' 13: they empty theirs
STOP_SECONDS = 240  # players finish the game they are in when the run ends
RESTART_SECONDS = 120
SERVED_CODE = ("src", "pages", "assets", "configs", "deploy", "bench/locust", "tests/dash_wire.py")
AFTER_KILL_SECONDS = 90  # the last step goes on this long after the kill
# The cluster's files, kept between runs (gitignored): the explainers' cache stays warm, so a
# second run's precompute only reads it.
CLUSTER_FOLDER = ROOT / "var" / "load-cluster"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def commit() -> str:
    """The commit measured, and the served code's files that differ from it (the working tree
    is shared: another engineer's uncommitted change is measured too)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", *SERVED_CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    paths = sorted(line[3:] for line in changed if line.strip())
    return f"{head} with uncommitted changes in {', '.join(paths)}" if paths else head


def cluster_settings(module: Any, folder: Path) -> Any:
    """The cluster on free ports with `scripts/run`'s model and catalog, its own databases."""
    local = load_config(profile="default")
    return module.Cluster(
        folder=folder,
        https_port=free_port(),
        web_ports=(free_port(), free_port()),
        serving_port=free_port(),
        explainer_port=free_port(),
        explainer_ports=(free_port(), free_port()),
        database=DATABASE,
        redis_url=REDIS_URL,
        models=local.path("models"),
        catalog=local.path("catalog"),
        model_name=str(local.get("model", "name")),
    )


def precompute(module: Any, settings: Any) -> list[str]:
    """`cargame precompute` (every level's servable) into the explainers' shared cache."""
    environment = {**os.environ, **module.environment(settings)}
    cargame = str(Path(sys.executable).parent / "cargame")
    subprocess.run([cargame, "precompute"], env=environment, check=True)
    return [level.servable for level in Levels.from_config(load_config()).levels]


class LoadSampler(threading.Thread):
    """The machine's 1-minute load average every few seconds: (time, load) in `samples`."""

    def __init__(self, every: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.every, self.samples, self.done = every, [], threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.samples.append((time.time(), os.getloadavg()[0]))


def killer(running: Running, at: float, record: dict[str, Any]) -> threading.Thread:
    """Kill web-1 at monotonic time `at`; record when, and when it served again."""

    def run() -> None:
        time.sleep(max(0.0, at - time.monotonic()))
        record["killed_at"] = time.time()
        old = running.kill_web(1)
        print(f"killed web-1 (pid {old})", flush=True)
        running.wait_web(1, not_pid=old)
        record["back_after_seconds"] = round(time.time() - record["killed_at"], 1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def run_locust(
    settings: Any, folder: Path, steps: list[int], step_seconds: float, kill_after: float
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Locust headless through nginx; returns the process and its CPU seconds."""
    environment = {
        **os.environ,
        "CARGAME_LOAD_STEPS": ",".join(map(str, steps)),
        "CARGAME_LOAD_STEP_SECONDS": str(step_seconds),
        "CARGAME_LOAD_LAST_STEP_SECONDS": str(kill_after + AFTER_KILL_SECONDS),
        "CARGAME_LOAD_SPAWN_RATE": "1",
        "CARGAME_LOAD_CA": str(settings.certificate),
        "CARGAME_LOAD_EVENTS": str(folder / "events.jsonl"),
    }
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE)]
    command += ["--headless", "--only-summary", "--host", settings.url]
    command += ["--csv", str(folder / "load"), "--stop-timeout", str(STOP_SECONDS)]
    with (folder / "locust.log").open("w") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        watched = psutil.Process(process.pid)
        cpu = 0.0
        while process.poll() is None:
            try:
                times = watched.cpu_times()
                cpu = times.user + times.system
            except psutil.NoSuchProcess:
                break
            time.sleep(1)
    completed = subprocess.CompletedProcess(command, process.returncode or 0, "", "")
    return completed, cpu


def database_games(settings: Any, started: set[str]) -> dict[str, int]:
    """The status in the database of the games the players started, and games nobody did."""
    engine = create_engine(settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, status FROM games")).all()
    engine.dispose()
    counts: dict[str, int] = {}
    for game_id, status in rows:
        key = status if game_id in started else f"{status} (not seen by a player)"
        counts[key] = counts.get(key, 0) + 1
    return counts


def section(summary: dict[str, Any]) -> str:
    """bench/README.md's "Load test": how it ran, the tables, the kill, the goals."""
    steps, kill, games = summary["steps"], summary["kill"], summary["games"]
    last = summary["windows"][str(steps[-1])]
    page, start = last["page_change"].get("p95", 0), last["actions"]["start"].get("p95", 0)
    failed = sum(window["failed"] for window in summary["windows"].values())
    requests = ", ".join(f"{name} {count}" for name, count in summary["failed_requests"].items())
    knee = summary["knee"]
    knee_text = f"{knee} players" if knee else f"no step up to {steps[-1]} players"
    if knee == str(steps[0]):
        knee_text = f"the first step already, {knee} players"
    database = ", ".join(f"{count} {status}" for status, count in summary["database"].items())
    return f"""{load_report.SECTION}

`bench/bench_load.py` starts the local cluster (deploy/cluster.py: nginx with TLS, two gunicorn
web instances with {summary["workers"]} workers each in the production profile, the local model
server, two explainers, Redis and PostgreSQL of the machine) on the demo garage and model, warms
the explainers' cache with `cargame precompute` for {", ".join(summary["servables"])}, and runs
Locust headless with `bench/locust/locustfile.py`: {", ".join(map(str, steps))} players, each
step held {summary["step_seconds"]:.0f} s, arriving at one a second (actions while the count
is between steps are left out). {summary["kill_after"]:.0f} s into the last step web-1 (master
and workers) is SIGKILLed; honcho's loop starts it again, and the step goes on
{AFTER_KILL_SECONDS} s more.

    .venv/bin/python bench/bench_load.py [--steps 10,20,30,40,50] [--step-seconds 150]

Each simulated player is a line of visitors: a new browser (no cookies, bundles fetched from
nginx), every second one registering through the real form with its CSRF token, the start
page, one to three games ("Play again"), then the next visitor. They speak the Dash callback
protocol as Chromium does (tests/dash_wire.py; recorded from Chromium's network log): per page
change the action's callback, then in parallel the router, the header and the scoreboard, then
the page's pictures and the callbacks fired when content appears; enabled `dcc.Interval`s with
a server callback are polled as the page does. Think times (uniform, seconds): start page 2-5,
photo to make 2-5, model 1-3, lock in 0.5-1.5, reading the answer 3-8, the final score 3-8: a
game takes about a minute. An action's time runs from the click until the next page and its
pictures are there; "page change" is lock-in, next and finish. "Heatmaps polled": answer pages
that had to wait for their heatmaps, from the lock-in until they showed ("late": Next pressed
before). A request that fails makes the player wait 1-3 s and click again, once, or reload the
page when its address had already changed (the action's time includes that); a second failure
loses the game.

Commit {summary["commit"]}; {summary["cpus"]} cores shared with other engineers' work (the
load average column: the machine's mean 1-minute load during each step). Before:
`{summary["uptime_before"]}`. After: `{summary["uptime_after"]}`. Locust itself used
{summary["locust_cpu_seconds"]} s of CPU on the same cores.

{load_report.markdown(summary)}

- **Games**: {games["started"]} started, {games["finished"]} finished (the final page showed
  the score), {games["lost"]} lost. In the database: {database}.
- **Errors**: {failed} failed actions (failed again after the player's retry). Failed requests,
  each followed by the player's retry: {requests or "none"}.
- **Knee**: page-change p95 passes {load_report.KNEE_MS} ms at {knee_text}. The steps run one
  after another on a machine others use too: read a trend across steps together with each
  step's load average.
- **Kill**: {_kill_text(kill)}

| goal at {steps[-1]} players | measured | |
|---|---|---|
| page change p95 < 300 ms | {page:,} ms | {load_report.met(page < load_report.KNEE_MS)} |
| game start p95 < 1.5 s | {start:,} ms | {load_report.met(start < load_report.START_GOAL_MS)} |
| no error | {failed} failed actions | {load_report.met(failed == 0)} |
| no game lost | {games["lost"]} lost | {load_report.met(games["lost"] == 0)} |
| at most one retry per player at the kill | {kill.get("most_retries_by_one_player", "-")} \
| {load_report.met(bool(kill) and kill["most_retries_by_one_player"] <= 1)} |
"""


def _kill_text(kill: dict[str, Any]) -> str:
    if not kill:
        return "web-1 was not killed (the run ended first)."
    back = kill.get("back_after_seconds")
    retried = ", ".join(f"{action} {count}" for action, count in kill["retried_actions"].items())
    return (
        f"web-1 SIGKILLed, serving again after {back} s; from then on {kill['retries']} "
        f"retried clicks by {kill['players_retrying']} players (at most "
        f"{kill['most_retries_by_one_player']} by one player; {retried or 'no action'}), "
        f"{kill['failed_actions']} failed actions, {kill['games_lost']} games lost."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="10,20,30,40,50")
    parser.add_argument("--step-seconds", type=float, default=150)
    parser.add_argument("--kill-after", type=float, default=150, help="into the last step")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    steps = [int(users) for users in args.steps.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="cargame-load-"))
    print(f"results in {folder}", flush=True)
    before, measured = uptime(), commit()
    module = load_deploy_module("cluster_for_load", DEPLOY / "cluster.py")
    settings = cluster_settings(module, CLUSTER_FOLDER)
    forget(settings)
    running = launch(module, settings, folder / "honcho.log")
    try:
        servables = precompute(module, settings)
        at = time.monotonic() + args.step_seconds * (len(steps) - 1) + args.kill_after
        kill: dict[str, Any] = {}
        thread = killer(running, at, kill)
        sampler = LoadSampler()
        sampler.start()
        completed, locust_cpu = run_locust(
            settings, folder, steps, args.step_seconds, args.kill_after
        )
        thread.join(RESTART_SECONDS)
        sampler.done.set()
        events = load_report.read_events(folder / "events.jsonl")
        started = {event["game"] for event in events if event.get("outcome") == "started"}
        database = database_games(settings, started)
    finally:
        stop(running.honcho)
        forget(settings)
    after = uptime()
    stats = folder / "load_stats.csv"
    summary = load_report.summarise(events, steps, kill, stats, sampler.samples)
    summary.update(
        commit=measured,
        uptime_before=before,
        uptime_after=after,
        locust_exit=completed.returncode,
        locust_cpu_seconds=round(locust_cpu, 1),
        step_seconds=args.step_seconds,
        kill_after=args.kill_after,
        servables=servables,
        database=database,
        workers=settings.workers,
        cpus=os.cpu_count(),
    )
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    text_section = section(summary)
    print(text_section)
    if not args.no_readme:
        readme = ROOT / "bench" / "README.md"
        load_report.write_readme(readme, text_section, load_report.overview_row(summary))
    print(f"results in {folder}")


if __name__ == "__main__":
    main()
