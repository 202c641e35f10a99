"""`cargame run`: first-run set-up, then the model server, the explainer and the web app.

The runner never imports TensorFlow: training and both services run as child processes, which
are stopped with the runner (Ctrl-C, SIGTERM, or the runner dying on Linux). The first run
trains the model and exports its opponent levels (`[levels]`); a models folder from before
the levels only gets the levels derived, in seconds.
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
from cargame.domain.levels import Levels

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
    """Build the demo garage, train the model and export its levels when they are missing."""
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
    if config.get("run", "start_model_server"):
        _prepare_models(config, progress)


def _prepare_models(config: Config, progress: Callable[[str], None]) -> None:
    """Train (and export every level) when no model is exported; derive levels still missing."""
    catalog, models_dir = str(config.path("catalog")), config.path("models")
    name, build = config.get("model", "name"), config.get("run", "train_if_missing")
    if not model_versions(models_dir, name) and build:
        _run_step(
            _cargame("train", "--catalog", catalog),
            "training the model and its opponent levels (first run only; a few minutes)",
            progress,
        )
    if not model_versions(models_dir, name):
        raise StartupError(f"no exported model {name!r} in {models_dir}: run `cargame train`")
    missing = missing_levels(config)
    if missing and build:
        _run_step(
            _cargame("levels", "--catalog", catalog),
            f"exporting the opponent levels {', '.join(missing)} from the trained model (seconds)",
            progress,
        )
        missing = missing_levels(config)
    if missing:
        raise StartupError(
            f"no exported opponent level {', '.join(missing)} in {models_dir}: run `cargame levels`"
        )


def missing_levels(config: Config) -> list[str]:
    """The `[levels]` whose servable has no exported version yet."""
    models_dir = config.path("models")
    levels = Levels.from_config(config).levels
    return [level.name for level in levels if not model_versions(models_dir, level.servable)]


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
    servables = [level.servable for level in Levels.from_config(config).levels]
    try:
        for service, section, wanted in (
            ("model", "serving", config.get("run", "start_model_server")),
            ("explainer", "explainer", config.get("run", "start_explainer")),
        ):
            base_url = config.service_url(section)
            status_urls = [model_path(base_url, name, None) for name in servables]
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
            # Every opponent level is its own servable; a game may ask for any of them.
            timeout = config.get("run", "startup_timeout_seconds")
            for status_url in status_urls:
                wait_until_available(status_url, process, timeout)
            progress(f"    {service} ready at {', '.join(status_urls)}")
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
