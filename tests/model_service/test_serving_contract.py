"""TF Serving's REST contract, written from its documentation, checked against the local server.

Sections cited are from tensorflow/serving `tensorflow_serving/g3doc/api_rest.md`; where the page
is silent, from the code it documents (`util/json_tensor.cc`, `model_servers/*.cc`). A client
written against this contract works with the official `tensorflow/serving` image too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from support import b64

from model_service.serving import server as serving
from model_service.serving import tensor_json, webio

B64_PHOTO_SEED = 7


@pytest_asyncio.fixture
async def client(aiohttp_client: Any, tiny_export: Any) -> Any:
    app = serving.create_app(
        tiny_export.models_dir, max_body_bytes=2_000_000, max_image_pixels=10**6, poll_seconds=60
    )
    return await aiohttp_client(app)


@pytest.fixture
def photo(colour_jpeg: Callable[..., bytes]) -> dict[str, str]:
    return b64(colour_jpeg("Zeta/Gamma", B64_PHOTO_SEED))


@pytest.mark.slow
@pytest.mark.asyncio
class TestDocumentedContract:
    async def test_model_status(self, client: Any, tiny_export: Any) -> None:
        # "Model status API" + the "Example" section's `curl .../v1/models/half_plus_three`:
        # GetModelStatusResponse, version as a string, state and status{error_code,error_message}.
        version = str(tiny_export.version)
        expected = {
            "model_version_status": [
                {
                    "version": version,
                    "state": "AVAILABLE",
                    "status": {"error_code": "OK", "error_message": ""},
                }
            ]
        }
        for path in ("/v1/models/tiny", f"/v1/models/tiny/versions/{version}"):
            response = await client.get(path)
            assert response.status == 200
            assert response.content_type == "application/json"
            assert await response.json() == expected

    async def test_model_metadata(self, client: Any, tiny_export: Any) -> None:
        # "Model Metadata API": GetModelMetadataResponse; model_spec plus the SignatureDefMap
        # under metadata.signature_def.signature_def (proto field names, int64 sizes as strings).
        response = await client.get("/v1/models/tiny/metadata")
        assert response.status == 200
        body = await response.json()
        assert body["model_spec"] == {
            "name": "tiny",
            "signature_name": "",
            "version": str(tiny_export.version),
        }
        signature = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
        assert signature["method_name"] == "tensorflow/serving/predict"
        image_input = signature["inputs"]["image_bytes"]
        assert image_input["dtype"] == "DT_STRING"
        assert image_input["tensor_shape"] == {
            "dim": [{"size": "-1", "name": ""}],
            "unknown_rank": False,
        }
        classes = str(len(tiny_export.labels))
        outputs = signature["outputs"]
        assert outputs["probabilities"]["dtype"] == "DT_FLOAT"
        assert outputs["labels"]["dtype"] == "DT_STRING"
        for output in outputs.values():
            sizes = [dim["size"] for dim in output["tensor_shape"]["dim"]]
            assert sizes == ["-1", classes]

    async def test_row_format_with_binary_values(
        self, client: Any, photo: dict[str, str], tiny_export: Any
    ) -> None:
        # "Specifying input tensors in row format" with one named input, binary values per
        # "Encoding binary values"; "Response format": several named outputs -> a list of
        # objects; output names without the `_bytes` suffix are plain strings.
        response = await client.post("/v1/models/tiny:predict", json={"instances": [photo]})
        assert response.status == 200
        (row,) = (await response.json())["predictions"]
        assert set(row) == {"probabilities", "labels"}
        assert row["labels"] == list(tiny_export.labels)
        assert all(isinstance(value, float) for value in row["probabilities"])

    async def test_row_format_objects_name_the_inputs(
        self, client: Any, photo: dict[str, str]
    ) -> None:
        # Row format, "each item is expected to be an object containing input name/tensor
        # value pair": the same request spelled with the input name gives the same answer.
        plain = await client.post("/v1/models/tiny:predict", json={"instances": [photo]})
        named = await client.post(
            "/v1/models/tiny:predict", json={"instances": [{"image_bytes": photo}]}
        )
        assert await plain.json() == await named.json()

    async def test_columnar_format(self, client: Any, photo: dict[str, str]) -> None:
        # "Specifying input tensors in column format": `inputs` holds a single tensor or a map
        # of input name to tensor; the response is `outputs`, an object keyed by output name.
        for inputs in ([photo, photo], {"image_bytes": [photo, photo]}):
            body = {"signature_name": "serving_default", "inputs": inputs}
            response = await client.post("/v1/models/tiny:predict", json=body)
            assert response.status == 200
            outputs = (await response.json())["outputs"]
            assert set(outputs) == {"probabilities", "labels"}
            assert len(outputs["probabilities"]) == 2 and len(outputs["labels"]) == 2

    async def test_version_in_url(self, client: Any, photo: dict[str, str]) -> None:
        # "Predict API" URL: `/versions/${VERSION}` is optional; latest when omitted.
        latest = await client.post("/v1/models/tiny:predict", json={"instances": [photo]})
        pinned = await client.post(
            "/v1/models/tiny/versions/1:predict", json={"instances": [photo]}
        )
        assert await latest.json() == await pinned.json()

    async def test_unknown_model_error(self, client: Any, photo: dict[str, str]) -> None:
        # Top of the page: errors are `{"error": <message>}`; the "Example" section shows
        # 404 and "Servable not found for request: Latest(half)" for an unknown model.
        response = await client.post("/v1/models/half:predict", json={"instances": [photo]})
        assert response.status == 404
        assert response.content_type == "application/json"
        assert await response.json() == {"error": "Servable not found for request: Latest(half)"}
        response = await client.post(
            "/v1/models/tiny/versions/9:predict", json={"instances": [photo]}
        )
        assert response.status == 404
        expected = {"error": "Servable not found for request: Specific(tiny, 9)"}
        assert await response.json() == expected

    async def test_unknown_model_status_error(self, client: Any) -> None:
        # get_model_status_impl.cc: NOT_FOUND (HTTP 404, http_server.cc ToHTTPStatusCode).
        missing = await client.get("/v1/models/half")
        assert missing.status == 404
        assert await missing.json() == {"error": "Could not find any versions of model half"}
        missing = await client.get("/v1/models/tiny/versions/9")
        assert await missing.json() == {"error": "Could not find version 9 of model tiny"}

    async def test_instances_and_inputs_together_are_rejected(
        self, client: Any, photo: dict[str, str]
    ) -> None:
        # "Request format": "A request can have either of them but NOT both" (INVALID_ARGUMENT
        # -> 400).
        body = {"instances": [photo], "inputs": [photo]}
        response = await client.post("/v1/models/tiny:predict", json=body)
        assert response.status == 400
        assert "only one of 'inputs' or 'instances'" in (await response.json())["error"]

    async def test_unknown_signature_is_rejected(self, client: Any, photo: dict[str, str]) -> None:
        # http_rest_api_handler.cc GetInfoMap: the signature must exist.
        body = {"signature_name": "nope", "instances": [photo]}
        response = await client.post("/v1/models/tiny:predict", json=body)
        assert response.status == 400
        expected = 'Serving signature name: "nope" not found in signature def'
        assert (await response.json())["error"] == expected


FLOAT_INPUT = {"pixels": {"dtype": "DT_FLOAT", "tensor_shape": {"dim": [{"size": "-1"}]}}}
TWO_INPUTS = {
    "tag": {"dtype": "DT_STRING"},
    "signal": {"dtype": "DT_INT64"},
}


class TestJsonMapping:
    """The JSON <-> tensor rules of "JSON mapping" and "Response format", without a model."""

    def test_row_objects_for_several_inputs(self) -> None:
        body = {"instances": [{"tag": "foo", "signal": [1, 2]}, {"tag": "bar", "signal": [3, 4]}]}
        request = tensor_json.parse_predict_request(body, TWO_INPUTS)
        assert request.row_format
        assert request.inputs["tag"].tolist() == [b"foo", b"bar"]
        assert request.inputs["signal"].dtype == np.int64
        assert request.inputs["signal"].shape == (2, 2)

    def test_plain_list_needs_a_single_input(self) -> None:
        with pytest.raises(webio.RequestError, match="expecting list of objects"):
            tensor_json.parse_predict_request({"instances": ["foo"]}, TWO_INPUTS)

    def test_columnar_inputs_must_name_every_input(self) -> None:
        with pytest.raises(webio.RequestError, match="Missing named input: tag"):
            tensor_json.parse_predict_request({"inputs": {"signal": [1]}}, TWO_INPUTS)

    def test_float_tensor_takes_numbers_only(self) -> None:
        request = tensor_json.parse_predict_request({"instances": [1, 2.5]}, FLOAT_INPUT)
        assert request.inputs["pixels"].dtype == np.float32
        with pytest.raises(webio.RequestError, match="is not of expected type: float"):
            tensor_json.parse_predict_request({"instances": ["a", "b"]}, FLOAT_INPUT)

    def test_single_output_drops_the_name(self) -> None:
        # "If the output of the model contains only one named tensor, we omit the name".
        outputs = {"scores": np.array([[0.2, 0.8]], dtype=np.float32)}
        assert tensor_json.format_outputs(outputs, row_format=True) == {"predictions": [[0.2, 0.8]]}
        assert tensor_json.format_outputs(outputs, row_format=False) == {"outputs": [[0.2, 0.8]]}

    def test_bytes_outputs_are_base64_objects(self) -> None:
        # "Output of binary values": names ending in `_bytes` come back as {"b64": ...}.
        outputs = {"thumb_bytes": np.array([b"\x00\x01"], dtype=object)}
        formatted = tensor_json.format_outputs(outputs, row_format=True)
        assert formatted == {"predictions": [{"b64": "AAE="}]}

    def test_unpadded_base64_is_accepted(self) -> None:
        # absl::Base64Unescape, which TF Serving uses, accepts missing padding.
        assert webio.decode_b64({"b64": "AAE"}) == b"\x00\x01"
