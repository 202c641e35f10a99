"""The media store and /media/<token>: opaque URLs, right content types, 404 for the rest."""

from __future__ import annotations

import hashlib
import io
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_caching import Cache
from PIL import Image

from cargame.web import media
from cargame.web.media import MediaStore, media_blueprint, media_url

PNG = b"\x89PNG\r\n\x1a\n" + b"overlay"


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__)
    cache = Cache(app, config={"CACHE_TYPE": "SimpleCache"})
    app.extensions["media_store"] = MediaStore(cache, ttl_seconds=600)
    app.register_blueprint(media_blueprint(lambda: app.extensions["media_store"]))
    with app.app_context():  # Flask-Caching finds its backend through current_app
        yield app


@pytest.fixture
def store(app: Flask) -> MediaStore:
    return app.extensions["media_store"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "Tesla_Model S_2020_white.jpg"  # Car Connection names hold the answer
    image = Image.new("RGB", (320, 240), (200, 30, 30))
    image.paste((20, 20, 180), (80, 60, 240, 180))
    exif = Image.Exif()
    exif[0x010E] = "Tesla Model S"  # ImageDescription: metadata that must not travel along
    image.save(path, "JPEG", quality=95, exif=exif)
    return path


def test_image_is_served_by_opaque_token(store, client, photo: Path) -> None:
    token = store.add_image(photo)
    url = media_url(token)
    assert url == f"/media/{token}"
    assert "Tesla" not in url and photo.stem not in url
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert b"Tesla" not in response.data
    assert response.headers["Cache-Control"] == "private, max-age=600"
    assert "Tesla" not in str(response.headers)
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers


def test_each_token_gets_its_own_encoding_of_the_photo(store, client, photo: Path) -> None:
    original = photo.read_bytes()
    served = []
    for _ in range(12):
        url = media_url(store.add_image(photo))
        first, again = client.get(url).data, client.get(url).data
        assert first == again  # a reload shows the same picture
        served.append(first)
    digests = {hashlib.sha256(data).hexdigest() for data in served}
    assert len(digests) == len(served)  # no two games share bytes
    assert hashlib.sha256(original).hexdigest() not in digests
    for data in served:
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and not image.getexif()
            assert 0.85 * 320 <= image.width <= 320 and 0.85 * 240 <= image.height <= 240


def test_a_file_that_is_not_a_picture_is_404(store, client, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    assert client.get(media_url(store.add_image(broken))).status_code == 404


def test_same_photo_gets_a_new_token_each_time(store, photo: Path) -> None:
    tokens = {store.add_image(photo) for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(token) >= 32 for token in tokens)


def test_png_is_served(store, client) -> None:
    response = client.get(media_url(store.add_png(PNG)))
    assert (response.status_code, response.mimetype, response.data) == (200, "image/png", PNG)


@pytest.mark.parametrize("token", ["A" * 32, "short", "..%2F..%2Fetc%2Fpasswd", "x" * 200])
def test_unknown_or_malformed_token_is_404(client, token: str) -> None:
    assert client.get(f"/media/{token}").status_code == 404


def test_missing_file_is_404(store, client, photo: Path) -> None:
    token = store.add_image(photo)
    photo.unlink()
    assert client.get(media_url(token)).status_code == 404


def test_non_image_file_is_not_served(store, client, tmp_path: Path) -> None:
    secret = tmp_path / "manifest.csv"
    secret.write_text("image_id,make,model\n")
    assert client.get(media_url(store.add_image(secret))).status_code == 404


def test_expired_token_is_404(client, photo: Path) -> None:
    class ForgetfulCache:
        def get(self, key: str) -> None:
            return None

        def set(self, key: str, value: object, timeout: int | None = None) -> None:
            self.timeout = timeout

    cache = ForgetfulCache()
    store = MediaStore(cache, ttl_seconds=5)
    token = store.add_image(photo)
    assert cache.timeout == 5
    assert store.get(token) is None


def test_a_rotated_photo_is_served_upright(store, client, tmp_path: Path) -> None:
    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; viewers rotate it to portrait
    Image.new("RGB", (400, 200), (10, 120, 200)).save(path, "JPEG", exif=exif)
    with Image.open(io.BytesIO(client.get(media_url(store.add_image(path))).data)) as served:
        assert served.height > served.width and not served.getexif()


def test_huge_photos_are_scaled_down(store, client, tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    Image.new("RGB", (4000, 3000), (90, 90, 90)).save(path, "JPEG")
    with Image.open(io.BytesIO(client.get(media_url(store.add_image(path))).data)) as served:
        assert max(served.size) <= 1600


def slow_reencode(
    monkeypatch: pytest.MonkeyPatch, seconds: float, fail_first: bool = False
) -> list[float]:
    """media.reencode taking `seconds` (the first call raising with `fail_first`); its calls."""
    calls: list[float] = []
    real = media.reencode

    def reencode(path: Path, rng: random.Random) -> bytes | None:
        calls.append(time.monotonic())
        time.sleep(seconds)
        if fail_first and len(calls) == 1:
            raise OSError("disk full")
        return real(path, rng)

    monkeypatch.setattr(media, "reencode", reencode)
    return calls


def test_a_warmed_photo_is_encoded_once_and_a_request_waits_for_it(
    store, client, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = slow_reencode(monkeypatch, 0.5)
    token = store.add_image(photo)
    started = time.monotonic()
    store.warm(token)
    assert time.monotonic() - started < 0.4  # returns at once; the encoding runs behind
    response = client.get(media_url(token))  # asks while the warm-up is still encoding
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert len(calls) == 1  # waited for the warm-up instead of encoding again
    assert client.get(media_url(token)).data == response.data


def test_a_failed_warm_up_leaves_the_photo_to_its_request(
    store, client, photo: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = slow_reencode(monkeypatch, 0.2, fail_first=True)
    token = store.add_image(photo)
    store.warm(token)
    response = client.get(media_url(token))
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert len(calls) == 2  # the warm-up's failed encoding, then the request's own
    assert "could not encode a photo ahead" in caplog.text
