"""The local cluster (deploy/cluster.py) while it runs, for tests/deploy and bench/bench_load.py.

`load_deploy_module(name, DEPLOY / "cluster.py")` imports the cluster script; `launch` prepares
a cluster's settings, starts honcho on deploy/Procfile.cluster with its output in a log file and
waits until both web instances and both explainers answer; `Running` then reaches it through
nginx, kills and awaits web instances, and `stop` and `forget` clean up.
"""

from __future__ import annotations

import contextlib
import importlib.util
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import redis
from sqlalchemy import create_engine, text
from support_web import REDIS_PATTERNS

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
START_SECONDS = 240  # three TensorFlow processes and four app imports on two shared cores


def load_deploy_module(name: str, path: Path) -> ModuleType:
    """Import a file of deploy/ as module `name` (deploy/ is not a package: gunicorn and
    people run its files directly)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@dataclass
class Running:
    """The cluster while it runs: its settings, honcho's process and its log."""

    settings: Any
    honcho: subprocess.Popen[bytes]
    log: Path

    def https(
        self,
        path: str,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        timeout: float = 20,
    ) -> Any:
        """A request through nginx (a POST when there is `data`), trusting only the cluster's
        own certificate."""
        context = ssl.create_default_context(cafile=str(self.settings.certificate))
        request = urllib.request.Request(self.settings.url + path, data, headers or {})
        return urllib.request.urlopen(request, timeout=timeout, context=context)

    def web_pid(self, instance: int) -> int:
        return int(self.settings.pid_file(instance).read_text().strip())

    def kill_web(self, instance: int) -> int:
        """SIGKILL a web instance, master and workers, as a crashing container; its old pid."""
        master = psutil.Process(self.web_pid(instance))
        processes = [master, *master.children(recursive=True)]
        for process in processes:
            process.kill()
        psutil.wait_procs(processes, timeout=10)
        return master.pid

    def wait_web(self, instance: int, not_pid: int | None = None) -> None:
        """Until web instance 1 or 2 answers /healthz with 200 (from a new master)."""
        port = self.settings.web_ports[instance - 1]
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.honcho.poll() is None, self.tail()
            with contextlib.suppress(OSError, ValueError):
                fresh = not_pid is None or self.web_pid(instance) != not_pid
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    if fresh:
                        return
            time.sleep(0.5)
        raise AssertionError(f"web-{instance} is not healthy:\n{self.tail()}")

    def wait_explainer(self, port: int) -> None:
        """Until the explainer replica on `port` has loaded the cluster's model."""
        deadline = time.monotonic() + START_SECONDS
        url = f"http://127.0.0.1:{port}/v1/models/{self.settings.model_name}"
        while time.monotonic() < deadline:
            assert self.honcho.poll() is None, self.tail()
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5):
                return
            time.sleep(0.5)
        raise AssertionError(f"explainer on {port} did not load the model:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def launch(module: ModuleType, settings: Any, log: Path) -> Running:
    """Prepare (models included), start honcho, and wait for every web and explainer."""
    module.prepare(settings)
    with log.open("wb") as output:
        honcho = subprocess.Popen(module.command(settings), stdout=output, stderr=subprocess.STDOUT)
    running = Running(settings, honcho, log)
    try:
        for instance in (1, 2):
            running.wait_web(instance)
        for port in settings.explainer_ports:
            running.wait_explainer(port)
    except BaseException:
        stop(honcho)
        raise
    return running


def stop(honcho: subprocess.Popen[bytes]) -> None:
    """Stop honcho and make sure nothing it started outlives it."""
    children = psutil.Process(honcho.pid).children(recursive=True)
    honcho.send_signal(signal.SIGTERM)
    try:
        honcho.wait(timeout=60)
    except subprocess.TimeoutExpired:
        honcho.kill()
        honcho.wait()
    _, alive = psutil.wait_procs(children, timeout=30)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def forget(settings: Any) -> None:
    """Drop the cluster's database and its Redis keys."""
    engine = create_engine(
        f"{settings.postgres}/postgres", isolation_level="AUTOCOMMIT", pool_pre_ping=True
    )
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{settings.database}" WITH (FORCE)'))
    engine.dispose()
    client = redis.Redis.from_url(settings.redis_url)
    keys = [key for pattern in REDIS_PATTERNS for key in client.scan_iter(pattern)]
    if keys:
        client.delete(*keys)
    client.close()
