"""The recommender as one small ONNX graph (built with onnx.helper, run by onnxruntime).

    history [B, n] --MatMul--> W = alpha_cf * W_cf + alpha_content * W_content (folded at load)
                   --Add bias (alpha_pop * popularity)--> scores [B, n]
    mask [B, n] (1 = never show) --> scores - mask * 1e30 --TopK(k)--> values [B, k], indices [B, k]

The item-item matrices are the initializers, so a user's history (the fold-in row) is the only
per-request input: a new interaction changes the next answer with no retraining. The same arrays are
read back by `RecsScorer` for the numpy reference path and for the reasons.

Only `to_onnx` (training, export, re-blending) imports `onnx` (~1.1 s of CPU): `from_onnx`, the
serving load, reads the metadata and the two matrices with `models.recommend.wire`, and parses with
`onnx` only if that reader cannot vouch for an artifact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from models.recommend import wire

if TYPE_CHECKING:
    from onnx import ModelProto

HISTORY, MASK, K = "history", "mask", "k"
VALUES, INDICES = "values", "indices"
METADATA_KEY = "smartcommerce.recs"
FORMAT_VERSION = 1
# Masked scores sit this far below any real score (float32 holds it; real scores are O(1..1e3)).
MASK_PENALTY = 1e30
POPULARITY_FLOOR = 1e-6


@dataclass(frozen=True)
class RecsModel:
    """Everything a recommender artifact holds (the training output, the scorer's input)."""

    item_ids: list[Any]
    categories: list[str | None]
    popularity: np.ndarray  # [n] recency-weighted interaction mass, >= 0
    w_cf: np.ndarray  # [n, n] collaborative item-item weights ("customers also bought")
    w_content: np.ndarray  # [n, n] content similarity (TF-IDF cosine), zero diagonal
    alpha_cf: float
    alpha_content: float
    alpha_pop: float
    info: dict[str, Any]  # strategy, params, metrics: carried along for the registry

    @property
    def bias(self) -> np.ndarray:
        peak = float(self.popularity.max()) if self.popularity.size else 0.0
        scaled = self.popularity / peak if peak > 0 else self.popularity
        # A tiny popularity floor orders the items the history says nothing about (and breaks ties).
        return (max(self.alpha_pop, POPULARITY_FLOOR) * scaled).astype(np.float32)


def _plain(value: Any) -> Any:
    """numpy scalars -> Python ones, so item ids survive JSON unchanged (int stays int)."""
    return value.item() if isinstance(value, np.generic) else value


def to_onnx(model: RecsModel) -> bytes:
    import onnx  # training and export only: serving reads artifacts with `wire`
    from onnx import TensorProto, helper, numpy_helper

    n = len(model.item_ids)
    if n == 0:
        raise ValueError("a recommender needs at least one item")
    inits = [
        numpy_helper.from_array(np.ascontiguousarray(model.w_cf, dtype=np.float32), "w_cf"),
        numpy_helper.from_array(np.ascontiguousarray(model.w_content, dtype=np.float32), "w_content"),
        numpy_helper.from_array(np.array(model.alpha_cf, dtype=np.float32), "alpha_cf"),
        numpy_helper.from_array(np.array(model.alpha_content, dtype=np.float32), "alpha_content"),
        numpy_helper.from_array(model.bias.reshape(1, n), "bias"),
        numpy_helper.from_array(np.array(MASK_PENALTY, dtype=np.float32), "penalty"),
    ]
    nodes = [
        helper.make_node("Mul", ["w_cf", "alpha_cf"], ["w_cf_scaled"]),
        helper.make_node("Mul", ["w_content", "alpha_content"], ["w_content_scaled"]),
        helper.make_node("Add", ["w_cf_scaled", "w_content_scaled"], ["w"]),
        helper.make_node("MatMul", [HISTORY, "w"], ["raw"]),
        helper.make_node("Add", ["raw", "bias"], ["scores"]),
        helper.make_node("Mul", [MASK, "penalty"], ["mask_penalty"]),
        helper.make_node("Sub", ["scores", "mask_penalty"], ["masked"]),
        helper.make_node("TopK", ["masked", K], [VALUES, INDICES], axis=-1, largest=1, sorted=1),
    ]
    graph = helper.make_graph(
        nodes,
        "recs_item_item",
        [
            helper.make_tensor_value_info(HISTORY, TensorProto.FLOAT, [None, n]),
            helper.make_tensor_value_info(MASK, TensorProto.FLOAT, [None, n]),
            helper.make_tensor_value_info(K, TensorProto.INT64, [1]),
        ],
        [
            helper.make_tensor_value_info(VALUES, TensorProto.FLOAT, [None, None]),
            helper.make_tensor_value_info(INDICES, TensorProto.INT64, [None, None]),
        ],
        initializer=inits,
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="smartcommerce.models.recommend"
    )
    proto.ir_version = 9
    meta = {
        "format": FORMAT_VERSION,
        "items": [_plain(i) for i in model.item_ids],
        "categories": list(model.categories),
        "popularity": [round(float(p), 6) for p in model.popularity],
        "alpha": {"cf": model.alpha_cf, "content": model.alpha_content, "pop": model.alpha_pop},
        "info": model.info,
    }
    helper.set_model_props(proto, {METADATA_KEY: json.dumps(meta, separators=(",", ":"))})
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


MATRICES = ("w_cf", "w_content")


def from_onnx(data: bytes) -> RecsModel:
    try:
        found = wire.read(data, MATRICES)
        props, arrays = found.metadata, found.tensors
    except wire.Unreadable:  # not what our exporter writes (or damaged): let onnx judge it
        props, arrays = _parse_with_onnx(data)
    if METADATA_KEY not in props:
        raise ValueError("not a recommender artifact (no recs metadata)")
    meta = json.loads(props[METADATA_KEY])
    if meta.get("format") != FORMAT_VERSION:
        raise ValueError(f"unsupported recommender artifact format {meta.get('format')!r}")
    if any(name not in arrays for name in MATRICES):
        raise ValueError("not a recommender artifact (no item-item matrices)")
    return RecsModel(
        item_ids=list(meta["items"]),
        categories=list(meta["categories"]),
        popularity=np.asarray(meta["popularity"], dtype=np.float32),
        w_cf=arrays["w_cf"],
        w_content=arrays["w_content"],
        alpha_cf=float(meta["alpha"]["cf"]),
        alpha_content=float(meta["alpha"]["content"]),
        alpha_pop=float(meta["alpha"]["pop"]),
        info=dict(meta.get("info", {})),
    )


def _parse_with_onnx(data: bytes) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """The slow, general path (imports onnx): external data, float_data, anything unusual."""
    import onnx
    from onnx import numpy_helper

    proto: ModelProto = onnx.load_from_string(data)
    props = {p.key: p.value for p in proto.metadata_props}
    arrays = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    return props, arrays
