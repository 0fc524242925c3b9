"""The few ONNX protobuf fields a recommender artifact is read back from, without `onnx`.

Why: `import onnx` costs ~1.1 s of CPU on a 2-core machine, and the scorer needs only the graph's
metadata JSON and two float32 initializers (`w_cf`, `w_content`); onnxruntime runs the graph
itself. The protobuf wire format is small and frozen (varint / 64-bit / length-delimited /
32-bit records, field numbers from onnx.proto), and our exporter (`graph.to_onnx`, via
`numpy_helper.from_array`) always writes tensors as little-endian `raw_data`. Anything else
(float_data, external data, an unknown wire type, a truncated message) raises `Unreadable`, and
the caller falls back to the full `onnx` parse: never worse than before, only slower.

This also reads every artifact already in the registry (format 1 is unchanged), so the current
champions load without `onnx` too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

import numpy as np

# onnx.proto field numbers (stable since IR version 1).
_MODEL_GRAPH, _MODEL_METADATA = 7, 14
_ENTRY_KEY, _ENTRY_VALUE = 1, 2
_GRAPH_INITIALIZER = 5
_TENSOR_DIMS, _TENSOR_TYPE, _TENSOR_NAME, _TENSOR_RAW = 1, 2, 8, 9
_TENSOR_EXTERNAL, _TENSOR_LOCATION = 13, 14
_FLOAT = 1  # TensorProto.FLOAT
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


class Unreadable(ValueError):
    """This reader cannot vouch for the message: use the full onnx parse instead."""


@dataclass(frozen=True)
class Artifact:
    metadata: dict[str, str]
    tensors: dict[str, np.ndarray]  # only the float32 initializers asked for


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise Unreadable("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """(field number, wire type, value): an int for varints, a zero-copy slice for LEN records.
    Fixed-width values are skipped (yielded as 0): none of the fields read here is one."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | memoryview
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _LEN:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise Unreadable("a length-delimited field runs past the end")
            value, pos = buf[pos : pos + size], pos + size
        elif wire in (_I64, _I32):
            pos += 8 if wire == _I64 else 4
            value = 0
        else:  # groups (3, 4) are not used by onnx.proto; 6, 7 are invalid
            raise Unreadable(f"wire type {wire}")
        if pos > len(buf):
            raise Unreadable("a fixed-width field runs past the end")
        yield number, wire, value


def _text(value: int | memoryview) -> str:
    if not isinstance(value, memoryview):
        raise Unreadable("a string field is not length-delimited")
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable("a string field is not UTF-8") from exc


def _entry(buf: memoryview) -> tuple[str, str]:
    key = value = ""
    for number, _, field in _fields(buf):
        if number == _ENTRY_KEY:
            key = _text(field)
        elif number == _ENTRY_VALUE:
            value = _text(field)
    return key, value


def _tensor(buf: memoryview, wanted: Collection[str]) -> tuple[str, np.ndarray] | None:
    name, dtype, dims, raw = "", 0, [], None
    external = False
    for number, wire, field in _fields(buf):
        if number == _TENSOR_NAME:
            name = _text(field)
        elif number == _TENSOR_TYPE and isinstance(field, int):
            dtype = field
        elif number == _TENSOR_DIMS:
            if isinstance(field, memoryview):  # packed (proto3 default)
                pos = 0
                while pos < len(field):
                    dim, pos = _varint(field, pos)
                    dims.append(dim)
            elif wire == _VARINT:
                dims.append(field)
        elif number == _TENSOR_RAW and isinstance(field, memoryview):
            raw = field
        elif number in (_TENSOR_EXTERNAL, _TENSOR_LOCATION) and field:
            external = True
    if name not in wanted:
        return None
    if dtype != _FLOAT or raw is None or external:
        raise Unreadable(f"initializer {name!r} is not inline little-endian float32 raw_data")
    count = int(np.prod(dims, dtype=np.int64)) if dims else 1
    if len(raw) != 4 * count:
        raise Unreadable(f"initializer {name!r}: {len(raw)} bytes for shape {dims}")
    # A copy: owned, aligned and writable like numpy_helper.to_array's, and the artifact's bytes
    # need not stay alive for as long as the scorer does.
    return name, np.frombuffer(raw, dtype="<f4").reshape(dims).astype(np.float32)


def read(data: bytes, tensors: Collection[str]) -> Artifact:
    """The model's metadata_props and the named float32 initializers of its graph."""
    buf = memoryview(data)
    metadata: dict[str, str] = {}
    found: dict[str, np.ndarray] = {}
    graphs = 0
    for number, _, field in _fields(buf):
        if number == _MODEL_METADATA and isinstance(field, memoryview):
            key, value = _entry(field)
            metadata[key] = value
        elif number == _MODEL_GRAPH and isinstance(field, memoryview):
            graphs += 1
            for g_number, _, g_field in _fields(field):
                if g_number == _GRAPH_INITIALIZER and isinstance(g_field, memoryview):
                    tensor = _tensor(g_field, tensors)
                    if tensor is not None:
                        found[tensor[0]] = tensor[1]
    if graphs != 1:  # protobuf would merge repeated sub-messages: leave that case to onnx
        raise Unreadable(f"{graphs} graph fields")
    missing = set(tensors) - set(found)
    if missing:
        raise Unreadable(f"no initializer {sorted(missing)}")
    return Artifact(metadata, found)
