"""A local server speaking TF Serving's REST API (the subset cargame uses), for the embedded setup.

Reference: tensorflow/serving `g3doc/api_rest.md` ("Model status API", "Model Metadata API",
"Predict API", "Encoding binary values") and, for exact error wording and JSON layout,
`model_servers/http_rest_api_handler.cc`, `http_rest_api_util.cc` and `util/json_tensor.cc`.

Like TF Serving with its default version policy it serves the newest version of every model under
`<models>/<name>/<version>/`, polls the folder and swaps in a new version once it has loaded, while
the old one keeps answering. Known deviations: no `:classify`/`:regress`, no `/labels/` URLs, and
JSON parse errors are worded by Python's parser rather than rapidjson.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from aiohttp import web
from google.protobuf import json_format
from tensorflow.core.protobuf import saved_model_pb2

from model_service.serving import app, tensor_json, webio

DEFAULT_SIGNATURE = "serving_default"
# Inference threads: TensorFlow parallelises inside an op, so a few threads saturate two cores.
INFERENCE_THREADS = 4


@dataclass
class Servable:
    """One loaded SavedModel version and its signatures as TF Serving describes them."""

    name: str
    version: int
    signatures: dict[str, Any]
    signature_defs: dict[str, Any]
    # The loaded SavedModel object: its variables live as long as the signatures are used.
    saved_model: Any = None

    def run(self, signature_name: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One call of the signature: the whole batch in one forward pass."""
        function = self.signatures[signature_name]
        tensors = {key: tf.constant(value) for key, value in inputs.items()}
        return {key: value.numpy() for key, value in function(**tensors).items()}


def load_servable(name: str, version: int, path: Path) -> Servable:
    """Load a SavedModel version folder (runs in a worker thread)."""
    loaded = tf.saved_model.load(str(path))
    return Servable(name, version, dict(loaded.signatures), read_signature_defs(path), loaded)


def read_signature_defs(path: Path) -> dict[str, Any]:
    """The SignatureDef map as TF Serving's metadata API prints it (proto field names, defaults)."""
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString((path / "saved_model.pb").read_bytes())
    graph = next(g for g in saved_model.meta_graphs if "serve" in g.meta_info_def.tags)
    as_dict = json_format.MessageToDict(
        graph, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return as_dict.get("signature_def", {})


def predict_sync(servable: Servable, raw_body: bytes, max_image_pixels: int) -> dict:
    """Parse, validate, run and format one predict request (CPU-bound: runs in a thread)."""
    body = webio.parse_json(raw_body)
    signature_name = body.get("signature_name", "")
    if not isinstance(signature_name, str):
        raise webio.RequestError(
            "JSON Value: not formatted correctly. 'signature_name' key must be a string value."
        )
    key = signature_name or DEFAULT_SIGNATURE
    if key not in servable.signature_defs or key not in servable.signatures:
        raise webio.RequestError(f'Serving signature name: "{key}" not found in signature def')
    signature = servable.signature_defs[key]
    request = tensor_json.parse_predict_request(body, signature["inputs"])
    for name, array in request.inputs.items():
        if name.endswith(tensor_json.BYTES_SUFFIX) and array.dtype == object:
            _validate_images(array, max_image_pixels, request.key)
    tensor_json.check_shapes(request.inputs, signature["inputs"])
    try:
        outputs = servable.run(key, request.inputs)
    except tf.errors.InvalidArgumentError as error:
        # The graph's own decoder is the final judge (Pillow tolerates some broken files);
        # TF Serving answers these with 400 as well.
        raise webio.RequestError(error.message) from error
    return tensor_json.format_outputs(outputs, request.row_format)


def _validate_images(array: np.ndarray, max_image_pixels: int, key: str) -> None:
    """Every encoded image must be a sane JPEG/PNG; name the first bad element."""
    for index, data in enumerate(array.reshape(-1)):
        try:
            webio.validate_image(data, max_image_pixels)
        except webio.RequestError as error:
            raise webio.element_error(index, error, key) from error


async def model_metadata(request: web.Request) -> web.Response:
    """GET .../metadata: model_spec plus the SignatureDef map (GetModelMetadataResponse)."""
    servable: Servable = app.requested_model(request)
    return webio.json_response(
        {
            "model_spec": {
                "name": servable.name,
                "signature_name": "",
                "version": str(servable.version),
            },
            "metadata": {"signature_def": {"signature_def": servable.signature_defs}},
        }
    )


async def predict(request: web.Request) -> web.Response:
    """POST /v1/models/{name}[/versions/{v}]:predict in row or columnar format."""
    servable: Servable = app.requested_model(request)
    body = await webio.read_body(request)
    max_image_pixels = request.app[app.MAX_IMAGE_PIXELS]
    result = await app.run_in_executor(request, predict_sync, servable, body, max_image_pixels)
    return webio.json_response(result)


def create_app(
    models_dir: Path, *, max_body_bytes: int, max_image_pixels: int, poll_seconds: float
) -> web.Application:
    """The model server application; models load when the app starts, not before."""
    application = app.create_app(
        models_dir,
        load_servable,
        threads=INFERENCE_THREADS,
        thread_name="predict",
        max_body_bytes=max_body_bytes,
        max_image_pixels=max_image_pixels,
        poll_seconds=poll_seconds,
    )
    app.add_model_routes(application, "predict", predict, metadata=model_metadata)
    return application


def run_server(
    models_dir: Path,
    *,
    host: str,
    port: int,
    max_body_bytes: int,
    max_image_pixels: int,
    poll_seconds: float,
) -> None:
    """Serve `models_dir` on host:port until interrupted (`cargame serve model`)."""
    application = create_app(
        models_dir,
        max_body_bytes=max_body_bytes,
        max_image_pixels=max_image_pixels,
        poll_seconds=poll_seconds,
    )
    app.run(application, host=host, port=port, description=f"model server for {models_dir}")
