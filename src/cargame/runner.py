"""`cargame run`: first-run set-up, then the model server, the explainer and the web app.

The runner never imports TensorFlow: training and both services run as child processes, which
are stopped with the runner (Ctrl-C, SIGTERM, or the runner dying on Linux).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

from cargame.clients import model_path
from cargame.config import Config
from cargame.domain import catalog as catalog_module
from cargame.domain.exports import model_versions

PR_SET_PDEATHSIG = 1  # prctl option: signal the child when its parent dies


class StartupError(RuntimeError):
    """A first-run step or a service failed to start."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_environment() -> dict[str, str]:
    """TensorFlow's C++ start-up chatter hidden unless asked for (TF_CPP_MIN_LOG_LEVEL)."""
    return {"TF_CPP_MIN_LOG_LEVEL": "2", **os.environ}


def _cargame(*args: str) -> list[str]:
    return [sys.executable, "-m", "cargame.cli", *args]


def _run_step(command: list[str], what: str, progress: Callable[[str], None]) -> None:
    progress(f"==> {what}")
    result = subprocess.run(
        command, preexec_fn=_die_with_parent, env=_child_environment(), check=False
    )
    if result.returncode != 0:
        raise StartupError(f"{what} failed (exit {result.returncode}); see the output above")


def prepare(config: Config, progress: Callable[[str], None]) -> None:
    """Build the demo garage and train the model when they are missing."""
    catalog_dir = config.path("catalog")
    if not catalog_module.exists(catalog_dir):
        if not config.get("run", "build_demo"):
            raise StartupError(
                f"no catalog at {catalog_dir}: run `cargame data import SRC --out {catalog_dir}`"
            )
        _run_step(
            _cargame("data", "demo", "--out", str(catalog_dir)),
            "building the demo garage",
            progress,
        )
    if not config.get("run", "start_model_server"):
        return
    name = config.get("model", "name")
    if not model_versions(config.path("models"), name) and config.get("run", "train_if_missing"):
        _run_step(
            _cargame("train", "--catalog", str(catalog_dir)),
            "training the model (first run only; a few minutes)",
            progress,
        )
    if not model_versions(config.path("models"), name):
        raise StartupError(
            f"no exported model {name!r} in {config.path('models')}: run `cargame train`"
        )


def _available(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status = json.load(response)
    except (OSError, ValueError, urllib.error.URLError):
        return False
    states = [entry.get("state") for entry in status.get("model_version_status", [])]
    return "AVAILABLE" in states


def wait_until_available(url: str, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Poll a TF-Serving status URL until a version is AVAILABLE."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StartupError(f"{url} exited with code {process.returncode} while starting")
        if _available(url):
            return
        time.sleep(0.5)
    raise StartupError(f"{url} did not report an available model within {timeout:.0f} s")


@contextlib.contextmanager
def services(config: Config, progress: Callable[[str], None]) -> Iterator[None]:
    """Start the local model server and explainer as children; stop them on exit."""
    children: list[subprocess.Popen[bytes]] = []
    name = config.get("model", "name")
    try:
        for service, section, wanted in (
            ("model", "serving", config.get("run", "start_model_server")),
            ("explainer", "explainer", config.get("run", "start_explainer")),
        ):
            status_url = model_path(config.service_url(section), name, None)
            process = None
            if wanted:
                # The child reads the same config and listens on the port of this URL.
                host, port = config.listen_address(section)
                progress(f"==> starting the {service} server on {host}:{port}")
                process = subprocess.Popen(
                    _cargame("serve", service),
                    preexec_fn=_die_with_parent,
                    env=_child_environment(),
                )
                children.append(process)
            wait_until_available(status_url, process, config.get("run", "startup_timeout_seconds"))
            progress(f"    {service} ready at {status_url}")
        yield
    finally:
        stop(children)


def stop(children: list[subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    """Terminate child processes, killing those that do not stop in time."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (e.g. from a process manager) unwinds like Ctrl-C, so the children are stopped."""
    raise KeyboardInterrupt


def run(config: Config, progress: Callable[[str], None]) -> int:
    """Everything `cargame run` does; returns the exit code."""
    from cargame.web import server as web

    signal.signal(signal.SIGTERM, _interrupt)
    # A shell starting us in the background ignores SIGINT; Ctrl-C/kill -INT must still stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        prepare(config, progress)
        with services(config, progress):
            web.serve(config)
    except StartupError as error:
        progress(f"cargame: {error}")
        return 1
    except KeyboardInterrupt:
        progress("stopping…")
        return 0
    return 0
