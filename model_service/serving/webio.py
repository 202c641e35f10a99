"""HTTP plumbing shared by the local model server and the explainer.

Errors follow TF Serving's REST convention (g3doc/api_rest.md, top of page): a JSON body
`{"error": "<message>"}` with an HTTP status mapped from the gRPC code (INVALID_ARGUMENT -> 400,
NOT_FOUND -> 404, as in `ToHTTPStatusCode` of model_servers/http_server.cc).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import re
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from PIL import Image

log = logging.getLogger(__name__)

# Only what `tf.io.decode_image` in the serving graph and the explainer accept and the game uses.
IMAGE_FORMATS = ("JPEG", "PNG")
# JPEG draft mode decodes at up to 1/8 scale: enough to find truncated data, far cheaper than a
# full decode (the graph decodes the photo again at full size).
DRAFT_SIDE = 64
# TF Serving's base64 decoder (absl::Base64Unescape) takes the standard alphabet, with or without
# padding; URL-safe '-' and '_' are invalid there, so they are rejected here too.
_BASE64_CHARS = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
ACCESS_LOG_FORMAT = '%a "%r" %s %b bytes %Tf s'

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RequestError(Exception):
    """A client error: becomes `{"error": message}` with `status`."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotFoundError(RequestError):
    """An unknown model, version or route (HTTP 404)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 404)


def json_response(payload: Any, status: int = 200) -> web.Response:
    """A JSON response; NaN and Infinity pass through as TF Serving writes them."""
    return web.Response(
        text=json.dumps(payload, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


def json_error(message: str, status: int) -> web.Response:
    """TF Serving's error body: `{"error": "<message>"}`."""
    return json_response({"error": message}, status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into a JSON error body, so clients need only one error path."""
    try:
        return await handler(request)
    except RequestError as error:
        return json_error(error.message, error.status)
    except web.HTTPRequestEntityTooLarge as error:
        return json_error(f"Request body too large: {error.text}", 413)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return json_error(error.reason, error.status)
    except Exception:
        log.exception("unhandled error for %s %s", request.method, request.path)
        return json_error("Internal error; see the server log", 500)


async def malformed_request(request: web.Request) -> web.Response:
    """Any other /v1 path: TF Serving's answer to a URL it cannot parse."""
    raise RequestError(f"Malformed request: {request.method} {request.path}")


async def read_body(request: web.Request) -> bytes:
    """The raw body; aiohttp answers 413 above the app's client_max_size."""
    return await request.read()


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; errors use TF Serving's wording (json_tensor.cc ParseJson)."""
    if not body:
        raise RequestError("JSON Parse error: The document is empty")
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RequestError(f"JSON Parse error: {error}") from error
    if not isinstance(document, dict):
        raise RequestError(f"JSON Value: {_preview(document)} Is not object")
    return document


def parse_version(text: str | None) -> int | None:
    """The `{version}` path segment as an int (the route only matches digits)."""
    return int(text) if text else None


def is_b64_object(value: Any) -> bool:
    """`{"b64": "<string>"}` with no other key, as TF Serving recognises binary values."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def decode_b64(value: Any) -> bytes:
    """Bytes of a `{"b64": ...}` object (standard alphabet, padding optional)."""
    if not is_b64_object(value):
        raise RequestError(f"JSON Value: {_preview(value)} not formatted correctly for base64 data")
    text = value["b64"].encode("ascii", errors="replace")
    if not _BASE64_CHARS.fullmatch(text) or len(text.rstrip(b"=")) % 4 == 1:
        raise RequestError("Unable to base64 decode (standard alphabet A-Z a-z 0-9 + / expected)")
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except binascii.Error as error:
        raise RequestError(f"Unable to base64 decode: {error}") from error


@dataclass(frozen=True)
class ImageInfo:
    """What validation learnt about an encoded image."""

    format: str
    width: int
    height: int


def validate_image(data: bytes, max_pixels: int) -> ImageInfo:
    """Check encoded image bytes before TensorFlow sees them; raise RequestError if unusable."""
    if not data:
        raise RequestError("empty image (0 bytes)")
    image = _open_image(data, max_pixels)
    with image:
        info = ImageInfo(image.format or "", *image.size)
        # Checked from the header, before any pixel is decoded: a decompression bomb.
        if info.width * info.height > max_pixels:
            raise RequestError(
                f"image of {info.width}x{info.height} pixels exceeds the limit of "
                f"{max_pixels} pixels"
            )
        if info.format not in IMAGE_FORMATS:
            raise RequestError(f"unsupported image format {info.format}; send JPEG or PNG")
        try:
            image.draft("RGB", (DRAFT_SIDE, DRAFT_SIDE))
            image.load()
        except (OSError, SyntaxError, ValueError) as error:
            raise RequestError(f"corrupt or truncated {info.format} image: {error}") from error
    return info


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Read only the image header (Pillow decodes lazily)."""
    try:
        with warnings.catch_warnings():
            # Our own limit is checked right after; Pillow's global one only warns here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise RequestError(f"image exceeds the limit of {max_pixels} pixels: {error}") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise RequestError(f"not a JPEG or PNG image ({len(data)} bytes)") from error


def element_error(index: int, error: RequestError, key: str = "instances") -> RequestError:
    """Name the bad element the way TF Serving does: `Failed to process element: N ...`."""
    return RequestError(
        f"Failed to process element: {index} of '{key}' list. Error: {error.message}",
        error.status,
    )


def _preview(value: Any, limit: int = 200) -> str:
    """A short JSON rendering of a value for error messages."""
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "..."
