"""TF Serving's JSON <-> tensor mapping for `:predict` (a Python port of the subset we need).

Follows g3doc/api_rest.md "Request format", "Response format", "JSON mapping" and "Encoding
binary values"; error messages use the wording of tensorflow_serving/util/json_tensor.cc.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from model_service.serving import webio

# Tensors whose name ends like this hold binary data: {"b64": ...} in and out (api_rest.md).
BYTES_SUFFIX = "_bytes"
NUMPY_DTYPES = {
    "DT_FLOAT": np.float32,
    "DT_DOUBLE": np.float64,
    "DT_INT8": np.int8,
    "DT_UINT8": np.uint8,
    "DT_INT16": np.int16,
    "DT_INT32": np.int32,
    "DT_INT64": np.int64,
    "DT_UINT32": np.uint32,
    "DT_UINT64": np.uint64,
    "DT_BOOL": np.bool_,
}
# DataTypeString() names, used in TF Serving's type errors.
TYPE_NAMES = {"DT_STRING": "string", "DT_FLOAT": "float", "DT_DOUBLE": "double", "DT_BOOL": "bool"}


@dataclass
class PredictRequest:
    """Input arrays by name, and whether the request used the row (`instances`) format."""

    inputs: dict[str, np.ndarray]
    row_format: bool

    @property
    def key(self) -> str:
        return "instances" if self.row_format else "inputs"


def parse_predict_request(body: dict[str, Any], input_infos: dict[str, Any]) -> PredictRequest:
    """Arrays for the signature's inputs from `instances` (row) or `inputs` (columnar)."""
    if "instances" in body and "inputs" in body:
        raise webio.RequestError(
            "JSON Value: request not formatted correctly expecting only one of 'inputs' or "
            "'instances' keys to exist"
        )
    if "instances" in body:
        instances = body["instances"]
        if not isinstance(instances, list):
            raise webio.RequestError("JSON Value: Excepting 'instances' to be an list/array")
        if not instances:
            raise webio.RequestError("JSON Value: No values in 'instances' array")
        return PredictRequest(_from_instances(instances, input_infos), row_format=True)
    if "inputs" in body:
        return PredictRequest(_from_inputs(body["inputs"], input_infos), row_format=False)
    raise webio.RequestError("Missing 'inputs' or 'instances' key")


def _is_named_object(value: Any) -> bool:
    return isinstance(value, dict) and not webio.is_b64_object(value)


def _from_instances(instances: list[Any], input_infos: dict[str, Any]) -> dict[str, np.ndarray]:
    """Row format: one element per batch item, objects keyed by input name when there are many."""
    names = sorted(input_infos)
    named = _is_named_object(instances[0])
    if not named and len(names) > 1:
        raise webio.RequestError(
            "instances is a plain list, but expecting list of objects as multiple input tensors "
            "required as per tensorinfo_map"
        )
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for index, element in enumerate(instances):
        if named != _is_named_object(element):
            wanted = "object but got list" if named else "value/list but got object"
            raise webio.RequestError(f"Expecting {wanted} at item {index} of input list")
        values = element if named else {names[0]: element}
        if set(values) != set(names):
            raise webio.RequestError(
                f"Failed to process element: {index} of 'instances' list. JSON object keys "
                f"must be equal to: {','.join(names)}"
            )
        for name in names:
            columns[name].append(values[name])
    return {
        name: _to_array(columns[name], input_infos[name]["dtype"], "instances") for name in names
    }


def _from_inputs(inputs: Any, input_infos: dict[str, Any]) -> dict[str, np.ndarray]:
    """Columnar format: one value for a single input, or an object of named inputs."""
    names = sorted(input_infos)
    if not _is_named_object(inputs):
        if len(names) > 1:
            raise webio.RequestError(
                "inputs is a plain value/list, but expecting an object as multiple input "
                "tensors required as per tensorinfo_map"
            )
        return {names[0]: _to_array(inputs, input_infos[names[0]]["dtype"], "inputs")}
    missing = [name for name in names if name not in inputs]
    if missing:
        raise webio.RequestError(f"Missing named input: {missing[0]} in 'inputs' object.")
    return {name: _to_array(inputs[name], input_infos[name]["dtype"], "inputs") for name in names}


def _to_array(value: Any, dtype: str, key: str) -> np.ndarray:
    """A JSON value (nested lists) as an array of the signature's dtype."""
    if dtype == "DT_STRING":
        return _string_array(value, key)
    if dtype not in NUMPY_DTYPES:
        raise webio.RequestError(f"Conversion of JSON Value to type: {dtype}", 501)
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise webio.RequestError(f"Encountered lists of unequal size in '{key}'") from error
    if array.dtype.kind not in _ACCEPTED_KINDS.get(dtype, "iu"):
        raise _type_error(value, dtype)
    return array.astype(NUMPY_DTYPES[dtype], copy=False)


# JSON numbers parse to int or float arrays; a float tensor accepts both, an int one only ints.
_ACCEPTED_KINDS = {"DT_FLOAT": "iuf", "DT_DOUBLE": "iuf", "DT_BOOL": "b"}


def _string_array(value: Any, key: str) -> np.ndarray:
    """Strings or {"b64": ...} leaves as an object array of bytes."""

    def convert(item: Any, index: int) -> Any:
        if isinstance(item, list):
            return [convert(child, index) for child in item]
        if isinstance(item, str):
            return item.encode("utf-8")
        if not isinstance(item, dict):
            raise webio.element_error(index, _type_error(item, "DT_STRING"), key)
        try:
            return webio.decode_b64(item)
        except webio.RequestError as error:
            raise webio.element_error(index, error, key) from error

    if isinstance(value, list):
        converted: Any = [convert(item, index) for index, item in enumerate(value)]
    else:
        converted = convert(value, 0)
    array = np.asarray(converted, dtype=object)
    if any(isinstance(item, list) for item in array.reshape(-1)):
        raise webio.RequestError(f"Encountered lists of unequal size in '{key}'")
    return array


def _type_error(value: Any, dtype: str) -> webio.RequestError:
    """json_tensor.cc TypeError(): `JSON Value: 3 Type: Number is not of expected type: string`."""
    leaf = value
    while isinstance(leaf, list) and leaf:
        leaf = leaf[0]
    json_type = {bool: "True" if leaf else "False", str: "String", dict: "Object", list: "Array"}
    type_name = json_type.get(type(leaf), "Null" if leaf is None else "Number")
    expected = TYPE_NAMES.get(dtype, dtype.removeprefix("DT_").lower())
    shown = json.dumps(leaf)[:100]
    return webio.RequestError(
        f"JSON Value: {shown} Type: {type_name} is not of expected type: {expected}"
    )


def check_shapes(inputs: dict[str, np.ndarray], input_infos: dict[str, Any]) -> None:
    """Reject arrays whose rank or fixed dimensions differ from the signature's TensorShape."""
    for name, array in inputs.items():
        shape = input_infos[name].get("tensor_shape", {})
        if shape.get("unknown_rank"):
            continue
        dims = [int(dim["size"]) for dim in shape.get("dim", [])]
        fits = len(dims) == array.ndim and all(
            want in (-1, got) for want, got in zip(dims, array.shape, strict=True)
        )
        if not fits:
            raise webio.RequestError(
                f"input {name} has shape {list(array.shape)} but the signature expects {dims} "
                "(-1: any size)"
            )


def format_outputs(outputs: dict[str, np.ndarray], row_format: bool) -> dict[str, Any]:
    """`predictions` (row) or `outputs` (columnar); names are dropped for a single output."""
    values = {name: _to_json(name, array) for name, array in sorted(outputs.items())}
    if not row_format:
        return {"outputs": next(iter(values.values())) if len(values) == 1 else values}
    if len(values) == 1:
        return {"predictions": next(iter(values.values()))}
    batch = {len(value) for value in values.values()}
    if len(batch) != 1:
        raise webio.RequestError(f"Tensors have inconsistent batch sizes: {sorted(batch)}")
    rows = [{name: value[row] for name, value in values.items()} for row in range(batch.pop())]
    return {"predictions": rows}


def _to_json(name: str, array: np.ndarray) -> Any:
    """Nested lists; float32 written with its shortest round-trip digits, as TF Serving does."""
    if array.dtype == np.float32:
        return array.astype(str).astype(np.float64).tolist()
    if array.dtype.kind in "OSU":
        as_bytes = name.endswith(BYTES_SUFFIX)
        encode = np.frompyfunc(lambda item: _string_json(item, as_bytes), 1, 1)
        return encode(array).tolist() if array.ndim else _string_json(array.item(), as_bytes)
    return array.tolist()


def _string_json(item: Any, as_bytes: bool) -> Any:
    raw = item if isinstance(item, bytes) else str(item).encode("utf-8")
    if as_bytes:
        return {"b64": base64.b64encode(raw).decode("ascii")}
    return raw.decode("utf-8", errors="replace")
