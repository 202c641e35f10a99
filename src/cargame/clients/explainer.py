"""Explainer client: a Grad-CAM heatmap of where the model looked, for one photo and class."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from cargame.clients import ServiceError, model_path, request_json


class ExplainerError(ServiceError):
    """The explainer could not be reached or did not give a usable heatmap."""


@dataclass(frozen=True)
class Explanation:
    """A heatmap for one class: the overlay PNG to show and the raw grid of weights."""

    label: str
    probability: float
    overlay_png: bytes
    heatmap: list[list[float]] = field(repr=False)
    class_index: int | None = None
    cached: bool = False


async def explain(
    session: aiohttp.ClientSession,
    base_url: str,
    model_name: str,
    image: bytes,
    *,
    class_label: str | None = None,
    timeout: float,
    version: int | None = None,
) -> Explanation:
    """`POST /v1/models/<name>[/versions/<v>]:explain`; no class means the predicted class."""
    instance: dict[str, Any] = {"image_bytes": {"b64": base64.b64encode(image).decode("ascii")}}
    if class_label is not None:
        instance["class"] = class_label
    url = model_path(base_url, model_name, version) + ":explain"
    body = await request_json(
        session,
        "POST",
        url,
        timeout=timeout,
        error_type=ExplainerError,
        payload={"instances": [instance]},
    )
    explanations = body.get("explanations")
    if not isinstance(explanations, list) or len(explanations) != 1:
        raise ExplainerError(f"POST {url}: expected one explanation, got {explanations!r:.200}")
    return _parse_explanation(url, explanations[0])


def _parse_explanation(url: str, item: Any) -> Explanation:
    try:
        overlay = base64.b64decode(item["overlay_png_b64"], validate=True)
        explanation = Explanation(
            label=str(item["label"]),
            probability=float(item["probability"]),
            overlay_png=overlay,
            heatmap=[[float(value) for value in row] for row in item["heatmap"]],
            class_index=item.get("class_index"),
            cached=bool(item.get("cached", False)),
        )
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise ExplainerError(f"POST {url}: malformed explanation ({error!r})") from error
    if not overlay.startswith(b"\x89PNG"):
        raise ExplainerError(f"POST {url}: the overlay is not a PNG image")
    return explanation
