"""TF Serving REST client: the model's top-5 for a batch of photos, in one predict call.

The served signature takes encoded image bytes (`{"b64": ...}`) and returns `probabilities` and
`labels` per image, so the labels travel with the model and nothing here preprocesses pixels.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from cargame.clients import ServiceError, model_path, request_json
from cargame.domain.game import Prediction

SIGNATURE_NAME = "serving_default"
TOP_K = 5  # the game shows the AI's five best guesses
# A game start predicts at once with the newest version this process knows of; when that was
# looked up longer ago than this, it is looked up again beside the predict, for the next start
# (only a process's first start waits for a look-up before its predict). A hot swap unloads
# the old version ("latest 1"): a request for it is answered 404, and it is looked up afresh.
VERSION_REUSE_SECONDS = 10.0
NOT_FOUND = 404

# (base URL, model name) -> (newest version, when it was looked up): this process's own memory.
_recent_versions: dict[tuple[str, str], tuple[int, float]] = {}


class ServingError(ServiceError):
    """TF Serving could not be reached or did not give usable predictions."""


@dataclass(frozen=True)
class PredictResult:
    """The model's top-5 per image, in request order, and the version that answered."""

    model_name: str
    model_version: int
    top5: list[list[Prediction]]
    labels: list[str]
    seconds: float = 0.0  # the predict request's round trip, for "the AI answered in 0.05 s"


async def model_version(
    session: aiohttp.ClientSession, base_url: str, model_name: str, *, timeout: float
) -> int:
    """The newest AVAILABLE version of a model, from `GET /v1/models/<name>`."""
    url = model_path(base_url, model_name, None)
    body = await request_json(session, "GET", url, timeout=timeout, error_type=ServingError)
    statuses = body.get("model_version_status")
    if not isinstance(statuses, list):
        raise ServingError(f"GET {url}: no model_version_status in {body!r}")
    # TF Serving writes int64 versions as JSON strings ("3"); compatible servers may not.
    try:
        available = [
            int(status["version"])
            for status in statuses
            if isinstance(status, dict) and status.get("state") == "AVAILABLE"
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise ServingError(f"GET {url}: malformed model status ({error!r})") from error
    if not available:
        raise ServingError(f"model {model_name!r} has no AVAILABLE version yet: {statuses!r}")
    return max(available)


async def predict(
    session: aiohttp.ClientSession,
    base_url: str,
    model_name: str,
    images: Sequence[bytes],
    *,
    timeout: float,
    version: int | None = None,
) -> PredictResult:
    """One batched `:predict` for every image; the version is pinned so all answers match."""
    if not images:
        raise ServingError("predict needs at least one image")
    if version is None:
        version = await model_version(session, base_url, model_name, timeout=timeout)
    url = model_path(base_url, model_name, version) + ":predict"
    payload = {
        "signature_name": SIGNATURE_NAME,
        "instances": [{"b64": base64.b64encode(image).decode("ascii")} for image in images],
    }
    started = time.perf_counter()
    body = await request_json(
        session, "POST", url, timeout=timeout, error_type=ServingError, payload=payload
    )
    seconds = time.perf_counter() - started
    rows = body.get("predictions")
    if not isinstance(rows, list) or len(rows) != len(images):
        count = len(rows) if isinstance(rows, list) else "no"
        raise ServingError(f"POST {url}: {count} predictions for {len(images)} images")
    try:
        parsed = [_parse_row(url, row) for row in rows]
    except MALFORMED as error:
        raise ServingError(f"POST {url}: malformed prediction ({error!r})") from error
    top5 = [top for top, _ in parsed]
    return PredictResult(model_name, version, top5, parsed[0][1], seconds)


async def predict_newest(
    session: aiohttp.ClientSession,
    base_url: str,
    model_name: str,
    images: Sequence[bytes],
    *,
    timeout: float,
) -> PredictResult:
    """`predict` on the newest version this process knows of. The first call looks it up; later
    calls predict at once with the known version, and when it was looked up more than
    `VERSION_REUSE_SECONDS` ago look it up again beside the predict, for the next call. A known
    version the server no longer has (404: TF Serving's "latest 1" unloads the old version after
    a hot swap) is looked up again and asked once more, so a new model plays from the first
    start after the old one is unloaded. A refresh is awaited before returning (the caller's
    session closes after this), but it runs beside the predict, which as a rule takes longer."""

    async def predict_version(version: int) -> PredictResult:
        return await predict(
            session, base_url, model_name, images, timeout=timeout, version=version
        )

    known = _recent_versions.get(_version_key(base_url, model_name))
    if known is None:
        return await predict_version(await _look_up(session, base_url, model_name, timeout))
    refresh = None
    if time.monotonic() - known[1] >= VERSION_REUSE_SECONDS:
        refresh = asyncio.ensure_future(_look_up(session, base_url, model_name, timeout))
    try:
        return await predict_version(known[0])
    except ServingError as error:
        if error.status != NOT_FOUND:
            raise
        pending, refresh = refresh, None  # awaited here, so not again below
        if pending is None:
            pending = _look_up(session, base_url, model_name, timeout)
        return await predict_version(await pending)
    finally:
        if refresh is not None:  # a failed refresh leaves the known version for the next call
            await asyncio.gather(refresh, return_exceptions=True)


async def _look_up(
    session: aiohttp.ClientSession, base_url: str, model_name: str, timeout: float
) -> int:
    """The newest AVAILABLE version, remembered for `predict_newest`."""
    version = await model_version(session, base_url, model_name, timeout=timeout)
    _recent_versions[_version_key(base_url, model_name)] = (version, time.monotonic())
    return version


def _version_key(base_url: str, model_name: str) -> tuple[str, str]:
    return base_url.rstrip("/"), model_name


def forget_versions() -> None:
    """Drop every remembered version (tests that swap fake servers on one address)."""
    _recent_versions.clear()


# What a reply of the wrong shape raises while it is parsed (a wrong or broken server).
MALFORMED = (KeyError, TypeError, ValueError, binascii.Error, UnicodeDecodeError)


def _parse_row(url: str, row: Any) -> tuple[list[Prediction], list[str]]:
    """One image's row: its top-5 sorted by probability, and the model's labels."""
    if not isinstance(row, dict) or "probabilities" not in row or "labels" not in row:
        raise ServingError(f"POST {url}: a prediction lacks probabilities and labels: {row!r}")
    probabilities, labels = row["probabilities"], [_text(label) for label in row["labels"]]
    if len(probabilities) != len(labels) or not labels:
        raise ServingError(f"POST {url}: {len(probabilities)} probabilities, {len(labels)} labels")
    ranked = sorted(zip(labels, probabilities, strict=True), key=lambda pair: -float(pair[1]))
    return [Prediction(label, float(p)) for label, p in ranked[:TOP_K]], labels


def _text(label: Any) -> str:
    """A string output as TF Serving writes it: plain, or `{"b64": ...}` when not UTF-8-safe."""
    if isinstance(label, dict) and "b64" in label:
        return base64.b64decode(label["b64"]).decode("utf-8")
    return str(label)
