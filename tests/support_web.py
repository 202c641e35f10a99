"""Web fixtures for every test folder (a pytest plugin, see tests/conftest.py).

A small generated catalog, fake model/explainer servers, the web config, an HTTP `DashClient`,
Chromium options for dash_duo, and the browser steps of a game. The fake servers speak the real
TF Serving REST and explainer protocols over HTTP (aiohttp in a thread), so the app under test
uses its real clients. The fake AI reads the label from the photo's background colour and
answers by a fixed rule, so games are varied but deterministic.
"""

from __future__ import annotations

import asyncio
import base64
import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from PIL import Image, ImageDraw
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.keys import Keys
from support import free_port

from cargame.config import Config, load_config
from cargame.domain.catalog import Catalog, CatalogImage, make_label
from cargame.domain.game import GameData
from cargame.web import ids, state

MODEL_NAME = "cars"
MODEL_VERSION = 3
CARS = [
    ("Audi", "A4"),
    ("Audi", "Q5"),
    ("BMW", "X5"),
    ("BMW", "i3"),
    ("Volvo", "XC90"),
    ("Volvo", "V60"),
]
LABELS = [make_label(make, model) for make, model in CARS]
GAME_PHOTOS_PER_LABEL = 3
TOP_PROBABILITY = 0.62
RUNNER_UP_PROBABILITIES = (0.12, 0.09, 0.07, 0.06, 0.04)
PHOTO_SIZE = (320, 240)


def background(index: int) -> tuple[int, int, int]:
    """The photo background that tells the fake model which car it is."""
    return (30 + index * 35, 110, 170)


def label_index(photo: bytes) -> int:
    red = Image.open(io.BytesIO(photo)).convert("RGB").getpixel((2, 2))[0]
    return round((red - 30) / 35)


def ai_answer(truth: int) -> int:
    """Right on a third of the cars, the sibling model on a third, another make on the rest."""
    rule = truth % 3
    if rule == 0:
        return truth
    return truth ^ 1 if rule == 1 else (truth + 2) % len(LABELS)


def car_photo(index: int, variant: int) -> bytes:
    """A flat cartoon car on a label-coloured background (PNG, so colours survive)."""
    image = Image.new("RGB", PHOTO_SIZE, background(index))
    draw = ImageDraw.Draw(image)
    body = (60 + 20 * variant, 70 + 25 * index % 90, 200 - 10 * variant)
    draw.rounded_rectangle((50, 120, 270, 175), radius=18, fill=body)
    draw.rounded_rectangle((95, 85, 220, 130), radius=14, fill=body)
    draw.rectangle((110, 95, 205, 122), fill=(215, 230, 240))
    for x in (95, 225):
        draw.ellipse((x - 22, 155, x + 22, 199), fill=(30, 30, 30))
    return _png(image)


def overlay_png() -> bytes:
    """A viridis-like gradient standing in for a Grad-CAM overlay."""
    image = Image.new("RGB", PHOTO_SIZE)
    draw = ImageDraw.Draw(image)
    for x in range(PHOTO_SIZE[0]):
        t = x / PHOTO_SIZE[0]
        draw.line(
            (x, 0, x, PHOTO_SIZE[1]), fill=(int(68 + 185 * t), int(1 + 230 * t), int(84 - 47 * t))
        )
    return _png(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build_catalog(root: Path) -> Catalog:
    """Per label one training photo (the showroom's) and three game photos."""
    images = []
    for index, (make, model) in enumerate(CARS):
        for variant in range(1 + GAME_PHOTOS_PER_LABEL):
            split = "train" if variant == 0 else "game"
            image_id = f"{index:02d}{variant:02d}" + "c0ffee" * 4
            file = f"images/{image_id}.png"
            (root / "images").mkdir(parents=True, exist_ok=True)
            (root / file).write_bytes(car_photo(index, variant))
            images.append(CatalogImage(image_id, file, make, model, split))
    references = {image.label: image.image_id for image in images if image.split == "train"}
    catalog = Catalog(root, "web-test", images, references)
    catalog.save()
    return catalog


class FakeModelServer:
    """TF Serving's status and predict; `fail` answers 503, `delay_seconds` slows predict."""

    def __init__(self) -> None:
        self.fail = False
        self.delay_seconds = 0.0
        self.predict_calls = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=50_000_000)
        app.router.add_get("/v1/models/{name}", self.status)
        app.router.add_post("/v1/models/{name}/versions/{version}:predict", self.predict)
        return app

    async def status(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.json_response({"error": "model is reloading"}, status=503)
        return web.json_response(
            {"model_version_status": [{"version": str(MODEL_VERSION), "state": "AVAILABLE"}]}
        )

    async def predict(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.json_response({"error": "model is reloading"}, status=503)
        self.predict_calls += 1
        await asyncio.sleep(self.delay_seconds)
        body = await request.json()
        rows = []
        for instance in body["instances"]:
            answer = ai_answer(label_index(base64.b64decode(instance["b64"])))
            runners_up = iter(RUNNER_UP_PROBABILITIES)
            probabilities = [TOP_PROBABILITY if i == answer else next(runners_up) for i in range(6)]
            rows.append({"probabilities": probabilities, "labels": LABELS})
        return web.json_response({"predictions": rows})


class FakeExplainer:
    """The explainer's `:explain`; `fail` makes every explanation an HTTP 500."""

    def __init__(self) -> None:
        self.fail = False
        self.overlay = overlay_png()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=50_000_000)
        app.router.add_post("/v1/models/{name}/versions/{version}:explain", self.explain)
        return app

    async def explain(self, request: web.Request) -> web.Response:
        if self.fail:
            return web.json_response({"error": "explainer out of memory"}, status=500)
        instance = (await request.json())["instances"][0]
        explanation = {
            "label": instance.get("class", LABELS[0]),
            "probability": 0.5,
            "class_index": 0,
            "overlay_png_b64": base64.b64encode(self.overlay).decode("ascii"),
            "heatmap": [[0.0, 0.5], [0.5, 1.0]],
            "cached": False,
        }
        return web.json_response({"explanations": [explanation]})


class ServerThread:
    """An aiohttp application on its own event loop in a daemon thread; start/stop at will."""

    def __init__(self, factory: Callable[[], web.Application], port: int | None = None) -> None:
        self.factory = factory
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ServerThread:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            # A fresh Application per start: aiohttp freezes one during its first run.
            self._runner = web.AppRunner(self.factory())
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"fake server on port {self.port} did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._runner is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._runner = self._thread = None


@pytest.fixture
def closed_url() -> str:
    """A URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def web_catalog(tmp_path: Path) -> Catalog:
    return build_catalog(tmp_path / "catalog")


@pytest.fixture
def fake_model() -> Iterator[tuple[FakeModelServer, ServerThread]]:
    model = FakeModelServer()
    server = ServerThread(model.app).start()
    yield model, server
    server.stop()


@pytest.fixture
def fake_explainer() -> Iterator[tuple[FakeExplainer, ServerThread]]:
    explainer = FakeExplainer()
    server = ServerThread(explainer.app).start()
    yield explainer, server
    server.stop()


def make_config(
    tmp_path: Path, catalog: Catalog, serving_url: str, explainer_url: str, **web: Any
) -> Config:
    """The test profile with every path in tmp_path and the services at the given URLs."""
    config = load_config("test", environ={})
    return config.with_overrides(
        {
            "paths": {
                "catalog": str(catalog.root),
                "cache": str(tmp_path / "cache"),
                "var": str(tmp_path / "var"),
            },
            "serving": {"url": serving_url, "timeout_seconds": 3.0},
            "explainer": {"url": explainer_url, "timeout_seconds": 3.0},
            "web": web,
        }
    )


@pytest.fixture
def make_web_config(
    tmp_path: Path,
    web_catalog: Catalog,
    fake_model: tuple[FakeModelServer, ServerThread],
    fake_explainer: tuple[FakeExplainer, ServerThread],
) -> Callable[..., Config]:
    """Config factory: `make_web_config(serving_url=..., **web_settings)`."""

    def build(serving_url: str | None = None, **web: Any) -> Config:
        url = serving_url or fake_model[1].url
        return make_config(tmp_path, web_catalog, url, fake_explainer[1].url, **web)

    return build


@pytest.fixture
def web_config(make_web_config: Callable[..., Config]) -> Config:
    return make_web_config()


@pytest.fixture
def dash_client() -> Callable[[Any], DashClient]:
    """`dash_client(app)`: a new browser-like client (own cookies) for an app."""
    return DashClient


def find_component(tree: Any, component_id: str) -> dict[str, Any] | None:
    """The serialised component with this id in a layout JSON tree, or None."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("id") == component_id:
            return tree
        return find_component(list(props.values()), component_id)
    if isinstance(tree, list):
        for child in tree:
            found = find_component(child, component_id)
            if found is not None:
                return found
    return None


class DashClient:
    """Calls Dash callbacks over HTTP like the browser does, with one cookie jar."""

    find = staticmethod(find_component)

    def __init__(self, app: Any) -> None:
        self.app = app
        self.http = app.server.test_client()
        self.dependencies = self.http.get("/_dash-dependencies").get_json()
        self.last_size = 0

    def callback(
        self, inputs: dict[str, Any], state: dict[str, Any] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Fire the callback with exactly these `id.prop` inputs; returns {id: {prop: value}}."""
        state = state or {}
        spec = self._find(set(inputs), set(state))
        outputs = [_split(item) for item in _outputs(spec["output"])]
        described = [{"id": i, "property": p} for i, p in outputs]
        payload = {
            "output": spec["output"],
            # The renderer sends a single output as an object, several as a list.
            "outputs": described if spec["output"].startswith("..") else described[0],
            "inputs": [_dependency(item, inputs) for item in spec["inputs"]],
            "state": [_dependency(item, state) for item in spec["state"]],
            "changedPropIds": list(inputs)[:1],
        }
        response = self.http.post("/_dash-update-component", json=payload)
        if response.status_code == 204:
            return {}
        assert response.status_code == 200, response.get_data(as_text=True)
        self.last_size = len(response.data)
        body = response.get_json()["response"]
        return {
            key: {prop.split("@")[0]: v for prop, v in value.items()} for key, value in body.items()
        }

    def page(self, path: str, pointer: Any = None, search: str = "") -> Any:
        """The page content the router renders for a path, given the game store's value."""
        response = self.callback(
            {"_pages_location.pathname": path, "_pages_location.search": search},
            {"shell-game.data": pointer},
        )
        return response["_pages_content"]["children"]

    def start_game(self) -> str:
        """Press "Let's play"; returns the store's pointer."""
        response = self.callback({"home-start.n_clicks": 1, "home-retry.n_clicks": None})
        assert response["shell-navigate"]["href"] == "/attempt", response
        return response["shell-game"]["data"]

    def lock_in(self, pointer: str, make: str | None, model: str | None) -> dict[str, Any]:
        return self.callback(
            {"attempt-submit.n_clicks": 1},
            {"attempt-make.value": make, "attempt-model.value": model, "shell-game.data": pointer},
        )

    def next_round(self, pointer: str) -> dict[str, Any]:
        return self.callback({"result-next.n_clicks": 1}, {"shell-game.data": pointer})

    def game(self, pointer: Any) -> GameData | None:
        """The game behind a pointer as the server sees it for this client's session."""
        cookie = self.http.get_cookie("cargame_session")
        headers = {"Cookie": f"cargame_session={cookie.value}"} if cookie else {}
        with self.app.server.test_request_context(headers=headers):
            return state.load_game(pointer)

    def _find(self, inputs: set[str], given_state: set[str]) -> dict[str, Any]:
        for spec in self.dependencies:
            names = {f"{item['id']}.{item['property']}" for item in spec["inputs"]}
            states = {f"{item['id']}.{item['property']}" for item in spec["state"]}
            if names == inputs and given_state <= states:
                return spec
        raise AssertionError(f"no callback with inputs {inputs} and state {given_state}")


def _outputs(output: str) -> list[str]:
    return output[2:-2].split("...") if output.startswith("..") else [output]


def _split(item: str) -> tuple[str, str]:
    component, prop = item.split(".", 1)
    return component, prop


def _dependency(item: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    key = f"{item['id']}.{item['property']}"
    return {"id": item["id"], "property": item["property"], "value": values.get(key)}


def pytest_setup_options() -> Options:
    """Chromium for dash_duo: headless, a desktop-sized window, Debian's binary."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    options.add_argument("--headless=new")
    options.add_argument("--window-size=1366,1000")
    return options


# The browser steps of a game, shared by tests/web and tests/accounts.

BROWSER_TIMEOUT = 15  # seconds; a game start makes one predict and ten explain calls


def type_into_dropdown(browser: Any, text: str) -> None:
    """Type into the focused dropdown's search and pick the match with Enter."""
    active = browser.driver.switch_to.active_element
    active.send_keys(text)
    time.sleep(0.2)
    active.send_keys(Keys.ENTER)


def press(browser: Any, key: str) -> None:
    browser.driver.switch_to.active_element.send_keys(key)
    time.sleep(0.15)


def click(browser: Any, selector: str, attempts: int = 3) -> None:
    """Scroll the element to the middle of the window, then click it like a mouse would.

    A callback may replace the element meanwhile (the header's account menu is rendered again
    on every page change); then the new one is clicked.
    """
    for attempt in range(1, attempts + 1):
        element = browser.wait_for_element(selector, timeout=BROWSER_TIMEOUT)
        try:
            browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
            time.sleep(0.2)
            element.click()
            return
        except StaleElementReferenceException:
            if attempt == attempts:
                raise


def start(browser: Any) -> None:
    """Press "Let's play" and wait for the first round."""
    click(browser, f"#{ids.HOME_START}")
    browser.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=BROWSER_TIMEOUT)


def guess_with_keyboard(browser: Any, make: str, model: str) -> None:
    """Tab to the make list, type, Enter; the same for the model; Tab to the button, Enter."""
    browser.wait_for_element(f"#{ids.ATTEMPT_MAKE}", timeout=BROWSER_TIMEOUT)
    browser.driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    press(browser, Keys.TAB)
    assert browser.driver.switch_to.active_element.get_attribute("id") == ids.ATTEMPT_MAKE
    press(browser, Keys.ENTER)
    type_into_dropdown(browser, make)
    browser.wait_for_text_to_equal(f"#{ids.ATTEMPT_MAKE}", make)
    press(browser, Keys.TAB)
    press(browser, Keys.ENTER)
    type_into_dropdown(browser, model)
    browser.wait_for_text_to_equal(f"#{ids.ATTEMPT_MODEL}", model)
    press(browser, Keys.TAB)
    assert browser.driver.switch_to.active_element.get_attribute("id") == ids.ATTEMPT_SUBMIT
    press(browser, Keys.ENTER)
