"""The explainer service: Grad-CAM heatmaps over the AI's predicted (or a requested) class.

`POST /v1/models/{name}[/versions/{v}]:explain` with
`{"instances": [{"image_bytes": {"b64": ...}, "class": "Make/Model" | index}]}` (a bare
`{"b64": ...}` instance works too). Photos are decoded with
`training.preprocess.decode_and_resize`, the function the serving graph uses, at the export's
`view_size` for a weaker opponent level, so a level's heatmap shows what that level saw. Every
model in the models folder is explained, each opponent level under its own name. Results are
cached on disk by (model, version, sha256 of the photo, class index).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import diskcache
import keras
import numpy as np
import tensorflow as tf
from aiohttp import web

from cargame.domain.catalog import Catalog, CatalogImage
from model_service.explain import gradcam, overlay
from model_service.serving import app, webio
from model_service.serving.repository import version_folders
from model_service.training.export import KERAS_FILE, read_metadata
from model_service.training.preprocess import ViewSize, decode_and_resize

# Grad-CAM needs a gradient per image: a few threads keep the two cores busy without thrashing.
EXPLAIN_THREADS = 2
# Game photos per Grad-CAM batch during `cargame precompute` (memory stays small).
PRECOMPUTE_BATCH = 16


@dataclass
class ExplainerModel:
    """One exported version's Keras model and the metadata Grad-CAM needs."""

    name: str
    version: int
    model: Any
    labels: list[str]
    image_size: tuple[int, int]
    gradcam_layer: str
    view_size: ViewSize = None  # an opponent level's smaller photos (None: full size)

    def photos(self, encoded: Sequence[bytes]) -> np.ndarray:
        """Model-size float32 photos [N, H, W, 3], 0..255, decoded as the serving graph does."""
        try:
            return np.stack(
                [
                    decode_and_resize(tf.constant(data), self.image_size, self.view_size).numpy()
                    for data in encoded
                ]
            )
        except tf.errors.InvalidArgumentError as error:
            # Pillow's check passed but TensorFlow's decoder refuses: still the client's photo.
            raise webio.RequestError(f"Unable to decode the image: {error.message}") from error

    def probabilities(self, photos: np.ndarray) -> np.ndarray:
        return np.asarray(self.model(photos, training=False))

    def heatmaps(self, photos: np.ndarray, class_index: int) -> list[np.ndarray]:
        """Normalised Grad-CAM maps of one class for a batch of photos."""
        outputs, grads = gradcam.gradients_and_filters(
            self.model, photos, self.gradcam_layer, class_index
        )
        return [gradcam.make_heatmap(o, g) for o, g in zip(outputs, grads, strict=True)]

    def class_index(self, requested: Any) -> int | None:
        """A class given as label or index, checked against the labels; None means top-1."""
        if requested is None:
            return None
        if isinstance(requested, str) and requested in self.labels:
            return self.labels.index(requested)
        is_index = isinstance(requested, int) and not isinstance(requested, bool)
        if is_index and 0 <= requested < len(self.labels):
            return requested
        raise webio.RequestError(
            f"unknown class {requested!r} for model {self.name} version {self.version}: "
            f"give a label like {self.labels[0]!r} or an index 0..{len(self.labels) - 1}"
        )


def load_explainer_model(name: str, version: int, path: Path) -> ExplainerModel:
    """Load `model.keras` and `metadata.json` of a version folder (runs in a worker thread)."""
    metadata = read_metadata(path)
    model = keras.models.load_model(path / KERAS_FILE, compile=False)
    height, width = metadata["image_size"]
    view = metadata.get("view_size")  # absent in exports from before opponent levels
    return ExplainerModel(
        name,
        version,
        model,
        list(metadata["labels"]),
        (height, width),
        metadata["gradcam_layer"],
        (int(view[0]), int(view[1])) if view else None,
    )


@dataclass
class Target:
    """One photo to explain and the class asked for (None: the model's top-1)."""

    image_bytes: bytes
    class_index: int | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.image_bytes).hexdigest()


class Explainer:
    """Grad-CAM results through a disk cache; a hit runs no TensorFlow at all."""

    def __init__(self, cache: diskcache.Cache) -> None:
        self.cache = cache

    def explain(self, model: ExplainerModel, targets: Sequence[Target]) -> list[dict[str, Any]]:
        """One explanation per target, computing only what the cache lacks."""
        prefix = f"{model.name}/{model.version}"
        digests = [target.digest for target in targets]
        probabilities = self._probabilities(model, targets, digests, prefix)
        classes = [
            t.class_index if t.class_index is not None else int(np.argmax(p))
            for t, p in zip(targets, probabilities, strict=True)
        ]
        keys = [f"{prefix}/{d}/{c}" for d, c in zip(digests, classes, strict=True)]
        found = {key: self.cache.get(key) for key in set(keys)}
        missing = [i for i, key in enumerate(keys) if found[key] is None]
        found.update(self._compute(model, targets, classes, keys, missing))
        return [
            {
                "class_index": c,
                "label": model.labels[c],
                "probability": float(p[c]),
                **found[key],
                "cached": i not in missing,
            }
            for i, (c, p, key) in enumerate(zip(classes, probabilities, keys, strict=True))
        ]

    def _probabilities(
        self, model: ExplainerModel, targets: Sequence[Target], digests: list[str], prefix: str
    ) -> list[np.ndarray]:
        """Cached softmax outputs per photo; one forward pass for all the uncached ones."""
        keys = [f"{prefix}/{digest}/probabilities" for digest in digests]
        values = [self.cache.get(key) for key in keys]
        todo = [i for i, value in enumerate(values) if value is None]
        if todo:
            batch = model.probabilities(model.photos([targets[i].image_bytes for i in todo]))
            for i, row in zip(todo, batch, strict=True):
                values[i] = row.astype(np.float32)
                self.cache.set(keys[i], values[i])
        return [np.asarray(value) for value in values]

    def _compute(
        self,
        model: ExplainerModel,
        targets: Sequence[Target],
        classes: list[int],
        keys: list[str],
        missing: list[int],
    ) -> dict[str, dict[str, Any]]:
        """Grad-CAM for the cache misses: one gradient pass per distinct class."""
        results: dict[str, dict[str, Any]] = {}
        for class_index in sorted({classes[i] for i in missing}):
            # One computation per distinct cache key (the same photo may be asked twice).
            group = list({keys[i]: i for i in missing if classes[i] == class_index}.values())
            photos = model.photos([targets[i].image_bytes for i in group])
            for i, heatmap in zip(group, model.heatmaps(photos, class_index), strict=True):
                photo = overlay.display_photo(targets[i].image_bytes)
                results[keys[i]] = render_result(photo, heatmap)
                self.cache.set(keys[i], results[keys[i]])
        return results


EXPLAINER = web.AppKey("explainer", Explainer)


def render_result(photo: np.ndarray, heatmap: np.ndarray) -> dict[str, Any]:
    """The cacheable part of an explanation: overlay PNG and the small heatmap grid."""
    grid = overlay.heatmap_grid(heatmap)
    return {
        "overlay_png_b64": base64.b64encode(overlay.render_overlay(photo, heatmap)).decode(),
        "heatmap": np.round(grid.astype(np.float64), 4).tolist(),
        "grid_size": list(grid.shape),
    }


def parse_targets(body: dict[str, Any], model: ExplainerModel, max_pixels: int) -> list[Target]:
    """Validated targets from `instances`; a bad one is named by its position."""
    if "instances" not in body or "inputs" in body:
        raise webio.RequestError("expected an 'instances' key (the explainer takes the row format)")
    instances = body["instances"]
    if not isinstance(instances, list):
        raise webio.RequestError("JSON Value: Excepting 'instances' to be an list/array")
    if not instances:
        raise webio.RequestError("JSON Value: No values in 'instances' array")
    targets = []
    for index, instance in enumerate(instances):
        try:
            targets.append(_target(instance, model, max_pixels))
        except webio.RequestError as error:
            raise webio.element_error(index, error) from error
    return targets


def _target(instance: Any, model: ExplainerModel, max_pixels: int) -> Target:
    """`{"b64": ...}` or `{"image_bytes": {"b64": ...}, "class": ...}`."""
    if webio.is_b64_object(instance):
        instance = {"image_bytes": instance}
    if not isinstance(instance, dict) or "image_bytes" not in instance:
        raise webio.RequestError('expected {"image_bytes": {"b64": ...}, "class": ...}')
    unexpected = sorted(set(instance) - {"image_bytes", "class"})
    if unexpected:
        raise webio.RequestError(f"unexpected keys {unexpected}; allowed: image_bytes, class")
    image_bytes = webio.decode_b64(instance["image_bytes"])
    webio.validate_image(image_bytes, max_pixels)
    return Target(image_bytes, model.class_index(instance.get("class")))


async def explain(request: web.Request) -> web.Response:
    """POST /v1/models/{name}[/versions/{v}]:explain."""
    model: ExplainerModel = app.requested_model(request)
    body = await webio.read_body(request)
    explainer = request.app[EXPLAINER]
    max_image_pixels = request.app[app.MAX_IMAGE_PIXELS]

    def work() -> list[dict[str, Any]]:
        targets = parse_targets(webio.parse_json(body), model, max_image_pixels)
        return explainer.explain(model, targets)

    explanations = await app.run_in_executor(request, work)
    model_spec = {"name": model.name, "version": str(model.version)}
    return webio.json_response({"model_spec": model_spec, "explanations": explanations})


def create_app(
    models_dir: Path,
    cache_dir: Path,
    *,
    max_body_bytes: int,
    max_image_pixels: int,
    cache_size_bytes: int,
    poll_seconds: float = 2.0,
) -> web.Application:
    """The explainer application; models load when the app starts, not before."""
    application = app.create_app(
        models_dir,
        load_explainer_model,
        threads=EXPLAIN_THREADS,
        thread_name="explain",
        max_body_bytes=max_body_bytes,
        max_image_pixels=max_image_pixels,
        poll_seconds=poll_seconds,
    )
    cache = diskcache.Cache(str(cache_dir), size_limit=cache_size_bytes)
    application[EXPLAINER] = Explainer(cache)
    app.add_model_routes(application, "explain", explain)

    async def close_cache(application: web.Application) -> None:
        cache.close()

    application.on_cleanup.append(close_cache)
    return application


def run_server(
    models_dir: Path,
    cache_dir: Path,
    *,
    host: str,
    port: int,
    max_body_bytes: int,
    max_image_pixels: int,
    cache_size_bytes: int,
    poll_seconds: float,
) -> None:
    """Serve explanations on host:port until interrupted (`cargame serve explainer`)."""
    application = create_app(
        models_dir,
        cache_dir,
        max_body_bytes=max_body_bytes,
        max_image_pixels=max_image_pixels,
        cache_size_bytes=cache_size_bytes,
        poll_seconds=poll_seconds,
    )
    description = f"explainer for {models_dir} (cache {cache_dir})"
    app.run(application, host=host, port=port, description=description)


def precompute(
    catalog: Catalog,
    models_dir: Path,
    name: str,
    cache_dir: Path,
    *,
    cache_size_bytes: int,
    progress: Callable[[str], None],
) -> int:
    """Warm the cache for every game photo (top-1 and true class) of the latest version."""
    versions = version_folders(Path(models_dir)).get(name)
    if not versions:
        raise FileNotFoundError(f"no exported version of model {name!r} in {models_dir}")
    version = max(versions)
    model = load_explainer_model(name, version, versions[version])
    images = catalog.split("game")
    progress(f"precompute: {len(images)} game images, {name} version {version}")
    with diskcache.Cache(str(cache_dir), size_limit=cache_size_bytes) as cache:
        explainer = Explainer(cache)
        for start in range(0, len(images), PRECOMPUTE_BATCH):
            batch = images[start : start + PRECOMPUTE_BATCH]
            explainer.explain(model, list(_precompute_targets(catalog, model, batch)))
            progress(f"precompute: {start + len(batch)}/{len(images)}")
    return len(images)


def _precompute_targets(
    catalog: Catalog, model: ExplainerModel, images: Iterable[CatalogImage]
) -> Iterable[Target]:
    """The top-1 target and, when the model knows it, the true-class target of each photo."""
    for image in images:
        data = catalog.path(image).read_bytes()
        yield Target(data)
        if image.label in model.labels:
            yield Target(data, model.labels.index(image.label))
