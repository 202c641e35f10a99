"""`cargame run`: first-run checks, starting both services and the web app, a clean Ctrl-C."""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import subprocess
import sys
import time
import types
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from browser import BROWSER_TIMEOUT, click, guess_with_keyboard, start
from dash.testing.wait import until
from support import free_port
from support_models import TinyExport, build_shapes_catalog

from cargame import cli, runner
from cargame.config import load_config
from cargame.domain.exports import model_versions
from cargame.web import ids

pytestmark = pytest.mark.slow


def run_environment(tmp_path: Path, catalog: Path, tiny_export: TinyExport) -> dict[str, str]:
    """The tiny model copied into `tmp_path`: the run exports its opponent levels beside it."""
    model_port, explainer_port, web_port = free_port(), free_port(), free_port()
    models = tmp_path / "models" / tiny_export.name / str(tiny_export.version)
    shutil.copytree(tiny_export.version_dir, models)
    return {
        **os.environ,
        "CARGAME_PATHS_VAR": str(tmp_path / "var"),
        "CARGAME_PATHS_CACHE": str(tmp_path / "cache"),
        "CARGAME_PATHS_CATALOG": str(catalog),
        "CARGAME_PATHS_MODELS": str(tmp_path / "models"),
        "CARGAME_MODEL_NAME": tiny_export.name,
        # One address per service: the children listen on the ports of these URLs.
        "CARGAME_SERVING_URL": f"http://127.0.0.1:{model_port}",
        "CARGAME_EXPLAINER_URL": f"http://127.0.0.1:{explainer_port}",
        "CARGAME_WEB_PORT": str(web_port),
        "CARGAME_RUN_BUILD_DEMO": "false",
    }


def wait_for_page(url: str, process: subprocess.Popen[bytes], timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "cargame run exited while starting"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def cargame_run(
    tmp_path: Path, tiny_export: TinyExport
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`cargame run` on a tiny catalog and the tiny model; yields the process and the app's URL."""
    catalog = tmp_path / "catalog"
    build_shapes_catalog(catalog, dict.fromkeys(tiny_export.labels, 10))
    environment = run_environment(tmp_path, catalog, tiny_export)
    process = subprocess.Popen(
        [sys.executable, "-m", "cargame.cli", "run"], env=environment, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{environment['CARGAME_WEB_PORT']}"
    try:
        assert b"<html" in wait_for_page(url + "/", process, 180).lower()
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_run_starts_everything_and_ctrl_c_leaves_no_orphans(
    cargame_run: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = cargame_run
    children = psutil.Process(process.pid).children(recursive=True)
    assert len(children) >= 2, "the model server and the explainer run as children"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    assert f"cargame is running: open {url}".encode() in stderr
    _, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"orphan processes left: {alive}"


@pytest.mark.browser
def test_a_game_in_the_browser_against_the_real_services(
    dash_duo: Any, cargame_run: tuple[subprocess.Popen[bytes], str]
) -> None:
    """The real local model server and explainer: real predictions, real Grad-CAM overlays."""
    _, url = cargame_run
    dash_duo.driver.get(url + "/")
    start(dash_duo)
    for number in range(1, 6):
        dash_duo.wait_for_contains_text("h1", f"Round {number} of 5", BROWSER_TIMEOUT)
        guess_with_keyboard(dash_duo, "Acme", "Alpha")
        dash_duo.wait_for_element(f"#{ids.RESULT_NEXT}", timeout=BROWSER_TIMEOUT)
        # The heatmap follows the answer page when the explainer is still drawing it.
        overlay = dash_duo.wait_for_element(".heatmap-panel img", timeout=BROWSER_TIMEOUT)
        until(
            lambda overlay=overlay: overlay.get_attribute("naturalWidth") not in ("", "0"),
            BROWSER_TIMEOUT,
        )
        assert "The AI said" in dash_duo.find_element(".list-group").text
        click(dash_duo, f"#{ids.RESULT_NEXT}")
    dash_duo.wait_for_element("#finish-you", timeout=BROWSER_TIMEOUT)
    # The tiny model was trained on exactly these colours: it scores.
    assert int(dash_duo.find_element("#finish-ai").text) > 0


def test_missing_catalog_without_demo_is_a_clear_error(tmp_path: Path) -> None:
    config = load_config(
        environ={
            "CARGAME_PATHS_CATALOG": str(tmp_path / "nothing"),
            "CARGAME_RUN_BUILD_DEMO": "false",
        }
    )
    with pytest.raises(runner.StartupError, match="cargame data import"):
        runner.prepare(config, progress=lambda message: None)


class FakeSteps:
    """`runner._run_step` recorded; each step exports what it would (empty version folders)."""

    def __init__(self, models: Path) -> None:
        self.models = models
        self.steps: list[str] = []

    def __call__(self, command: list[str], what: str, progress: object) -> None:
        step = command[3]  # python -m cargame.cli STEP --catalog ...
        self.steps.append(step)
        names = ["cars-rookie", "cars-pro", *(["cars"] if step == "train" else [])]
        for name in names:
            (self.models / name / "1").mkdir(parents=True, exist_ok=True)


@pytest.mark.parametrize(
    ("exported", "steps"),
    [
        ([], ["train"]),  # the first run: training exports the model and every level
        (["cars", "cars-pro"], ["levels"]),  # a level missing: derived, no training
        (["cars", "cars-pro", "cars-rookie"], []),
    ],
)
def test_prepare_exports_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exported: list[str], steps: list[str]
) -> None:
    shapes = build_shapes_catalog(tmp_path / "catalog", {"A/B": 3, "C/D": 3})
    config = load_config(
        environ={"CARGAME_PATHS_CATALOG": str(shapes.root), "CARGAME_PATHS_MODELS": str(tmp_path)}
    )
    for name in exported:
        (tmp_path / name / "1").mkdir(parents=True)
    fake = FakeSteps(tmp_path)
    monkeypatch.setattr(runner, "_run_step", fake)
    runner.prepare(config, progress=lambda message: None)
    assert fake.steps == steps
    assert runner.missing_levels(config) == []


def test_missing_levels_without_building_is_a_clear_error(tmp_path: Path) -> None:
    shapes = build_shapes_catalog(tmp_path / "catalog", {"A/B": 3, "C/D": 3})
    (tmp_path / "cars" / "1").mkdir(parents=True)
    config = load_config(
        environ={
            "CARGAME_PATHS_CATALOG": str(shapes.root),
            "CARGAME_PATHS_MODELS": str(tmp_path),
            "CARGAME_RUN_TRAIN_IF_MISSING": "false",
        }
    )
    with pytest.raises(runner.StartupError, match="rookie, pro .*run `cargame levels`"):
        runner.prepare(config, progress=lambda message: None)


def test_model_versions_ignore_unfinished_exports(tmp_path: Path) -> None:
    for name in ("1", "3", ".tmp-4", "notes"):
        (tmp_path / "cars" / name).mkdir(parents=True)
    (tmp_path / "cars" / "5").write_text("a stray file, not an export")
    assert model_versions(tmp_path, "cars") == [1, 3]
    assert model_versions(tmp_path, "missing") == []


@pytest.mark.parametrize(
    ("service", "section", "module"),
    [
        ("model", "SERVING", "model_service.serving.server"),
        ("explainer", "EXPLAINER", "model_service.explain.server"),
    ],
)
def test_serve_listens_on_the_port_of_the_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, service: str, section: str, module: str
) -> None:
    """What `cargame run` starts as a child binds where the runner then polls."""
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType(module)
    fake.run_server = lambda *args, **options: calls.append(options)  # type: ignore[attr-defined]
    package, _, name = module.rpartition(".")
    monkeypatch.setitem(sys.modules, module, fake)
    # The subpackage is TensorFlow-free; only its `server` module is replaced.
    monkeypatch.setattr(importlib.import_module(package), name, fake, raising=False)
    monkeypatch.setenv(f"CARGAME_{section}_URL", "http://127.0.0.1:5123/")
    monkeypatch.setenv("CARGAME_PATHS_CACHE", str(tmp_path))
    assert cli.main(["serve", service]) == 0
    assert cli.main(["serve", service, "--host", "0.0.0.0"]) == 0
    assert [(call["host"], call["port"]) for call in calls] == [
        ("127.0.0.1", 5123),
        ("0.0.0.0", 5123),
    ]
