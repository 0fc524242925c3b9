"""The demand model as a small hand-built ONNX graph, parity-checked, packaged for the registry.

    input  features float32 [n, 3 + k] = [product index, log price, promo, controls...]
    score  = alpha[i] + beta[i] * log price + delta[i] * promo + controls . gamma[i]   (log expected units)
    units  = exp(score)

Gather + Mul + Add + ReduceSum + Exp: about fifteen nodes, microseconds per row on onnxruntime.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.artifact import ModelArtifact
from models.parity import check_parity
from models.pricing.demand import DEFAULT_LEVEL, DemandModel

OPSET = 17
INPUT = "features"
OUTPUT = "score"


def to_onnx(dm: DemandModel) -> bytes:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    k = dm.gamma.shape[1]

    def const(name: str, value: np.ndarray) -> Any:
        return numpy_helper.from_array(np.asarray(value), name)

    inits = [
        const("alpha", dm.alpha.astype(np.float32)),
        const("beta", dm.beta.astype(np.float32)),
        const("delta", dm.delta.astype(np.float32)),
        const("col0", np.array(0, dtype=np.int64)),
        const("col1", np.array(1, dtype=np.int64)),
        const("col2", np.array(2, dtype=np.int64)),
    ]
    nodes = [
        helper.make_node("Gather", [INPUT, "col0"], ["index_f"], axis=1),
        helper.make_node("Cast", ["index_f"], ["index"], to=TensorProto.INT64),
        helper.make_node("Gather", [INPUT, "col1"], ["log_price"], axis=1),
        helper.make_node("Gather", [INPUT, "col2"], ["promo"], axis=1),
        helper.make_node("Gather", ["alpha", "index"], ["a"], axis=0),
        helper.make_node("Gather", ["beta", "index"], ["b"], axis=0),
        helper.make_node("Gather", ["delta", "index"], ["d"], axis=0),
        helper.make_node("Mul", ["b", "log_price"], ["price_term"]),
        helper.make_node("Mul", ["d", "promo"], ["promo_term"]),
        helper.make_node("Add", ["a", "price_term"], ["s1"]),
        helper.make_node("Add", ["s1", "promo_term"], ["s2" if k else OUTPUT]),
    ]
    if k:
        inits += [
            const("gamma", dm.gamma.astype(np.float32)),  # (P, k): a row per product
            const("sum_axes", np.array([1], dtype=np.int64)),
            const("starts", np.array([3], dtype=np.int64)),
            const("ends", np.array([3 + k], dtype=np.int64)),
            const("axes", np.array([1], dtype=np.int64)),
        ]
        nodes += [
            helper.make_node("Slice", [INPUT, "starts", "ends", "axes"], ["controls"]),
            helper.make_node("Gather", ["gamma", "index"], ["g"], axis=0),
            helper.make_node("Mul", ["controls", "g"], ["control_parts"]),
            helper.make_node("ReduceSum", ["control_parts", "sum_axes"], ["control_term"], keepdims=0),
            helper.make_node("Add", ["s2", "control_term"], [OUTPUT]),
        ]
    nodes.append(helper.make_node("Exp", [OUTPUT], ["units"]))
    graph = helper.make_graph(
        nodes,
        "demand",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [None, 3 + k])],
        [
            helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [None]),
            helper.make_tensor_value_info("units", TensorProto.FLOAT, [None]),
        ],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="smartcommerce"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def parity_rows(dm: DemandModel, seed: int = 0) -> np.ndarray:
    """Rows covering every product at its observed low/high price, with and without promo, at
    random control values: the parity gate's held-out inputs."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(len(dm.products)):
        for price in (dm.price_min[i], np.sqrt(dm.price_min[i] * dm.price_max[i]), dm.price_max[i]):
            for promo in (0.0, 1.0):
                controls = rng.normal(0, 1, dm.gamma.shape[1])
                rows.append(np.concatenate([[i, np.log(price), promo], controls]))
    return np.asarray(rows, dtype=np.float32)


def metadata(dm: DemandModel, parity: dict[str, Any], level: float = DEFAULT_LEVEL) -> dict[str, Any]:
    intervals = [dm.elasticity_interval(p, level) for p in dm.products]
    return {
        "model": "demand",
        "featureNames": ["product_index", "log_price", "promo", *dm.spec.names],
        "metrics": {
            "products": len(dm.products),
            "pooledElasticity": dm.pooled.mu,
            "pooledInterval": list(dm.elasticity_interval(None, level)),
            "residualVariance": dm.sigma2,
            "droppedZeroRows": dm.dropped_zero_rows,
        },
        "dataWindow": dm.data_window,
        "params": {"featureSpec": dm.spec.to_json(), "intervalLevel": level},
        "parity": parity,
        "inputName": INPUT,
        "outputName": OUTPUT,
        "products": list(dm.products),
        "categories": list(dm.categories),
        "elasticity": [float(v) for v in dm.beta],
        "elasticityInterval": [[float(lo), float(hi)] for lo, hi in intervals],
        "priceRange": [[float(a), float(b)] for a, b in zip(dm.price_min, dm.price_max, strict=True)],
        "pooled": {"elasticity": dm.pooled.mu, "interval": list(dm.elasticity_interval(None, level))},
    }


def export_artifact(dm: DemandModel, *, tolerance: float = 1e-4) -> ModelArtifact:
    onnx_bytes = to_onnx(dm)
    X = parity_rows(dm)
    report = check_parity(
        onnx_bytes, X, dm.log_units(X.astype(np.float64)), output=OUTPUT, tolerance=tolerance
    )
    return ModelArtifact("demand", onnx_bytes, metadata(dm, report.to_json()))
