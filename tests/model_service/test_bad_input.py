"""Bad input to either server: a clear 4xx `{"error": ...}`, and the next good request works."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image
from support import b64

from model_service.explain import server as explainer
from model_service.serving import server as serving

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

MAX_BODY_BYTES = 300_000
MAX_IMAGE_PIXELS = 1_000_000


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge image: a decompression bomb's calling card."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


def encoded(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


async def start(kind: str, aiohttp_client: Any, models_dir: Path, cache_dir: Path) -> Any:
    """A test client for the model server or the explainer, with small limits."""
    limits = {"max_body_bytes": MAX_BODY_BYTES, "max_image_pixels": MAX_IMAGE_PIXELS}
    if kind == "predict":
        return await aiohttp_client(serving.create_app(models_dir, poll_seconds=60, **limits))
    app = explainer.create_app(models_dir, cache_dir, cache_size_bytes=10**7, **limits)
    return await aiohttp_client(app)


@pytest_asyncio.fixture(params=["predict", "explain"])
async def service(
    request: pytest.FixtureRequest, aiohttp_client: Any, tiny_export: Any, tmp_path: Path
) -> tuple[Any, str]:
    """A client for each server, and its POST verb."""
    client = await start(request.param, aiohttp_client, tiny_export.models_dir, tmp_path)
    return client, request.param


@pytest_asyncio.fixture
async def explainer_service(
    aiohttp_client: Any, tiny_export: Any, tmp_path: Path
) -> tuple[Any, str]:
    client = await start("explain", aiohttp_client, tiny_export.models_dir, tmp_path)
    return client, "explain"


@pytest.fixture
def good(colour_jpeg: Callable[..., bytes]) -> dict[str, str]:
    return b64(colour_jpeg("Acme/Alpha", 11))


async def post(service: tuple[Any, str], body: Any, path: str = "/v1/models/tiny") -> Any:
    client, verb = service
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(f"{path}:{verb}", data=data)


async def assert_rejected(response: Any, status: int, *fragments: str) -> None:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    error = (await response.json())["error"]
    assert isinstance(error, str)
    for fragment in fragments:
        assert fragment in error


async def assert_still_serving(service: tuple[Any, str], good: dict[str, str]) -> None:
    response = await post(service, {"instances": [good]})
    assert response.status == 200, await response.text()


def bad_photos(good_jpeg: bytes) -> dict[str, tuple[bytes, str]]:
    """Encoded 'photos' that must be refused before TensorFlow sees them, with the reason."""
    big = Image.new("RGB", (1100, 1000), (90, 90, 90))
    return {
        "not an image": (b"this is not a photo at all", "not a JPEG or PNG"),
        "truncated jpeg": (good_jpeg[: len(good_jpeg) // 2], "truncated"),
        "empty": (b"", "empty image"),
        "bomb header": (png_claiming_size(60_000, 60_000), "exceeds the limit"),
        "too many pixels": (encoded(big, "JPEG"), "exceeds the limit"),
        "gif": (encoded(Image.new("RGB", (8, 8)), "GIF"), "unsupported image format GIF"),
    }


@pytest.mark.parametrize(
    "case", ["not an image", "truncated jpeg", "empty", "bomb header", "too many pixels", "gif"]
)
async def test_bad_photo_is_named(
    service: tuple[Any, str], good: dict[str, str], case: str
) -> None:
    data, reason = bad_photos(base64.b64decode(good["b64"]))[case]
    response = await post(service, {"instances": [good, b64(data)]})
    await assert_rejected(response, 400, "element: 1", reason)
    await assert_still_serving(service, good)


async def test_url_safe_base64_is_rejected_like_tf_serving(
    service: tuple[Any, str], good: dict[str, str]
) -> None:
    # TF Serving decodes with absl::Base64Unescape (standard alphabet): '-' and '_' are invalid.
    raw = base64.b64decode(good["b64"])
    url_safe = base64.urlsafe_b64encode(raw).decode()
    assert "-" in url_safe or "_" in url_safe
    response = await post(service, {"instances": [{"b64": url_safe}]})
    await assert_rejected(response, 400, "element: 0", "Unable to base64 decode")
    await assert_still_serving(service, good)


BAD_BODIES: dict[str, tuple[Any, int, str]] = {
    "empty instances": ({"instances": []}, 400, "No values in 'instances'"),
    "missing instances": ({"signature_name": "serving_default"}, 400, "instances"),
    "instances not a list": ({"instances": {"x": 1}}, 400, "instances"),
    "both formats": ({"instances": [1], "inputs": [1]}, 400, "instances"),
    "malformed json": (b'{"instances": [', 400, "JSON Parse error"),
    "empty body": (b"", 400, "JSON Parse error: The document is empty"),
    "not an object": (b"[1, 2]", 400, "Is not object"),
    "number instead of bytes": ({"instances": [3]}, 400, "element: 0"),
    "b64 not a string": ({"instances": [{"b64": 5}]}, 400, "element: 0"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_bad_body(service: tuple[Any, str], good: dict[str, str], case: str) -> None:
    body, status, fragment = BAD_BODIES[case]
    await assert_rejected(await post(service, body), status, fragment)
    await assert_still_serving(service, good)


async def test_oversized_body_gets_413(service: tuple[Any, str], good: dict[str, str]) -> None:
    padding = b64(b"\0" * MAX_BODY_BYTES)
    await assert_rejected(await post(service, {"instances": [padding]}), 413, "too large")
    await assert_still_serving(service, good)


async def test_unknown_model_and_version_get_404(
    service: tuple[Any, str], good: dict[str, str]
) -> None:
    body = {"instances": [good]}
    missing_model = await post(service, body, "/v1/models/nope")
    await assert_rejected(missing_model, 404, "Servable not found", "nope")
    missing_version = await post(service, body, "/v1/models/tiny/versions/99")
    await assert_rejected(missing_version, 404, "Specific(tiny, 99)")
    await assert_still_serving(service, good)


async def test_malformed_url_gets_400(service: tuple[Any, str], good: dict[str, str]) -> None:
    client, verb = service
    response = await client.post(f"/v1/models/tiny/versions/latest:{verb}", data=b"{}")
    await assert_rejected(response, 400, "Malformed request")
    await assert_still_serving(service, good)


@pytest.mark.parametrize(
    ("requested", "fragment"),
    [("Nope/Never", "unknown class 'Nope/Never'"), (17, "unknown class 17"), (1.5, "1.5")],
)
async def test_explainer_rejects_unknown_class(
    explainer_service: tuple[Any, str], good: dict[str, str], requested: Any, fragment: str
) -> None:
    body = {"instances": [{"image_bytes": good, "class": requested}]}
    await assert_rejected(await post(explainer_service, body), 400, "element: 0", fragment)
    await assert_still_serving(explainer_service, good)


async def test_photo_only_tensorflow_refuses_is_still_a_400(
    service: tuple[Any, str], good: dict[str, str]
) -> None:
    # A PNG without its end chunk passes Pillow's checks; TensorFlow's decoder rejects it.
    png = encoded(Image.new("RGB", (40, 30), (200, 30, 30)), "PNG")[:-12]
    response = await post(service, {"instances": [good, b64(png)]})
    assert response.status == 400, await response.text()
    assert "error" in await response.json()
    await assert_still_serving(service, good)
