"""A fitted `TabularClassifier` as one ONNX graph, and the rows the parity gate scores it on.

    column inputs [n,1] --(category: LabelEncoder -> code)--> Concat -> B [n, p]
    B --TreeEnsemble--> hgb log-odds      \
    B --TreeEnsemble--> path -> exp(..)    >-> Concat -> MatMul + Add -> Sigmoid -> score [n,1]
    B --impute/standardize/one-hot--> LR  /                                  -> probability [n]

Reads fitted attributes only (no scikit-learn import). Every step mirrors models.fraud.schema /
linear_view / tabular in float32; tree thresholds are rounded the way onnxruntime compares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.onnx_trees import ML_DOMAIN, hist_gradient_boosting_node, isolation_forest_node, split_points

if TYPE_CHECKING:
    from models.fraud.tabular import TabularClassifier

OUTPUTS = ("probability", "score")
UNSEEN = "\x00unseen"  # a category string no model was trained on (maps to the "other" code)
MAX_THRESHOLDS_PER_COLUMN = 64


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def const(self, value: np.ndarray, hint: str) -> str:
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def name(self, hint: str) -> str:
        self._n += 1
        return f"__{hint}_{self._n}"

    def op(self, op_type: str, inputs: list[str], hint: str, **attrs: Any) -> str:
        out = self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def tabular_graph(model: TabularClassifier, *, matrix_input: str | None = None) -> bytes:
    columns = model.columns
    names = [c.name for c in columns]
    clash = set(names) & set(OUTPUTS)
    if clash:
        raise ValueError(f"column names {sorted(clash)} are the graph's output names; rename them")
    g = _Graph()
    if matrix_input is not None:
        if any(c.kind != "numeric" for c in columns):
            raise ValueError("a matrix input needs numeric columns only")
        inputs = [helper.make_tensor_value_info(matrix_input, TensorProto.FLOAT, [None, len(columns)])]
        B = matrix_input
    else:
        inputs, encoded = [], []
        for c in columns:
            if c.kind == "numeric":
                inputs.append(helper.make_tensor_value_info(c.name, TensorProto.FLOAT, [None, 1]))
                encoded.append(c.name)
            else:
                inputs.append(helper.make_tensor_value_info(c.name, TensorProto.STRING, [None, 1]))
                out = g.name("code")
                g.nodes.append(
                    helper.make_node(
                        "LabelEncoder",
                        [c.name],
                        [out],
                        domain=ML_DOMAIN,
                        keys_strings=[*c.categories, ""],
                        values_floats=[*map(float, range(len(c.categories))), float("nan")],
                        default_float=c.other_code,
                    )
                )
                encoded.append(out)
        B = g.op("Concat", encoded, "design", axis=1) if len(encoded) > 1 else encoded[0]

    parts = model.parts
    components = []
    for comp in model.components:
        if comp == "hgb":
            out = g.name("hgb")
            g.nodes.append(hist_gradient_boosting_node(parts.hgb, B, out))
            components.append(out)
        elif comp == "anomaly":
            path = g.name("path")
            node, norm = isolation_forest_node(parts.iso, B, path)
            g.nodes.append(node)
            factor = -np.log(2.0) / norm if norm > 0 else 0.0
            scale = g.const(np.array([factor], dtype=np.float32), "path_scale")
            components.append(g.op("Exp", [g.op("Mul", [path, scale], "scaled")], "anomaly"))
        elif comp == "lr":
            components.append(_linear(g, model, B))
    S = g.op("Concat", components, "components", axis=1) if len(components) > 1 else components[0]
    w = g.const(model.combiner_coef.astype(np.float32).reshape(-1, 1), "combiner_w")
    b = g.const(np.array([model.combiner_intercept], dtype=np.float32), "combiner_b")
    logit = g.op("Add", [g.op("MatMul", [S, w], "combined"), b], "logit")
    g.nodes.append(helper.make_node("Sigmoid", [logit], ["score"]))
    g.nodes.append(
        helper.make_node(
            "Reshape", ["score", g.const(np.array([-1], dtype=np.int64), "flat")], ["probability"]
        )
    )
    graph = helper.make_graph(
        g.nodes,
        "tabular_classifier",
        inputs,
        [
            helper.make_tensor_value_info("probability", TensorProto.FLOAT, [None]),
            helper.make_tensor_value_info("score", TensorProto.FLOAT, [None, 1]),
        ],
        initializer=g.inits,
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ML_DOMAIN, 3)],
        producer_name="smartcommerce.models",
    )
    proto.ir_version = 9
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def _linear(g: _Graph, model: TabularClassifier, B: str) -> str:
    view, lr = model.parts.linear, model.parts.lr
    assert view is not None and lr is not None
    pieces = []
    if len(view.numeric):
        N = g.op("Gather", [B, g.const(view.numeric, "numeric_idx")], "numeric", axis=1)
        imputed = g.op("Where", [g.op("IsNaN", [N], "isnan"), g.const(view.medians, "medians"), N], "imputed")
        z = g.op(
            "Div",
            [g.op("Sub", [imputed, g.const(view.means, "means")], "centred"), g.const(view.scales, "scales")],
            "z",
        )
        lo = g.const(np.array(-50.0, dtype=np.float32), "lo")
        hi = g.const(np.array(50.0, dtype=np.float32), "hi")
        pieces.append(g.op("Clip", [z, lo, hi], "clipped"))
    if len(view.nan_columns):
        M = g.op("Gather", [B, g.const(view.nan_columns, "nan_idx")], "nan_cols", axis=1)
        pieces.append(g.op("Cast", [g.op("IsNaN", [M], "missing")], "missing_f", to=TensorProto.FLOAT))
    for j, k in view.categories:
        code = g.op("Gather", [B, g.const(np.array([j], dtype=np.int64), "cat_idx")], "cat", axis=1)
        hot = g.op("Equal", [code, g.const(np.arange(k, dtype=np.float32), "codes")], "onehot_b")
        pieces.append(g.op("Cast", [hot], "onehot", to=TensorProto.FLOAT))
        pieces.append(
            g.op("Cast", [g.op("IsNaN", [code], "cat_missing_b")], "cat_missing", to=TensorProto.FLOAT)
        )
    L = g.op("Concat", pieces, "linear_view", axis=1) if len(pieces) > 1 else pieces[0]
    coef = g.const(np.asarray(lr.coef_, dtype=np.float32).reshape(-1, 1), "lr_coef")
    intercept = g.const(np.asarray(lr.intercept_, dtype=np.float32).reshape(1), "lr_intercept")
    return g.op("Add", [g.op("MatMul", [L, coef], "lr_dot"), intercept], "lr_logit")


def onnx_feed(model: TabularClassifier, X: Any) -> dict[str, np.ndarray]:
    """A DataFrame (the fit-time columns) as the graph's inputs: what a serving caller passes."""
    from models.fraud.schema import as_frame, column_kind, numeric_values, text_values

    frame = as_frame(X)
    model.design(frame)  # the same column checks as predict_proba
    feed = {}
    for c in model.columns:
        s = frame[c.name]
        if c.kind == "numeric" and column_kind(s) == "numeric":
            feed[c.name] = numeric_values(s).reshape(-1, 1)
        else:
            feed[c.name] = text_values(s).astype(object).reshape(-1, 1)
    return feed


def design_feed(model: TabularClassifier, B: np.ndarray, matrix_input: str | None) -> dict[str, np.ndarray]:
    """Design-matrix rows as graph inputs (codes back to category strings: exact, by construction)."""
    if matrix_input is not None:
        return {matrix_input: np.ascontiguousarray(B, dtype=np.float32)}
    feed = {}
    for j, c in enumerate(model.columns):
        col = B[:, j]
        if c.kind == "numeric":
            feed[c.name] = np.ascontiguousarray(col.reshape(-1, 1), dtype=np.float32)
        else:
            cats = np.array([*c.categories, UNSEEN], dtype=object)
            strings = np.where(np.isnan(col), "", cats[np.nan_to_num(col, nan=0).astype(np.int64)])
            feed[c.name] = strings.astype(object).reshape(-1, 1)
    return feed


def onnx_design_predict(
    graph: bytes, model: TabularClassifier, B: np.ndarray, *, matrix_input: str | None
) -> np.ndarray:
    from models.parity import session

    (out,) = session(graph).run(["probability"], design_feed(model, B, matrix_input))
    return np.asarray(out, dtype=np.float64).reshape(-1)


def edge_design_rows(model: TabularClassifier, base: np.ndarray) -> np.ndarray:
    """Rows serving may see but a holdout rarely holds, built on the first `base` row:
    every column NaN at once and one at a time; each tree threshold exactly and one float32 step
    above; extremes (far beyond the training range, 0, +-1e30); every category code and "other"."""
    p = base.shape[1]
    row = base[:1].copy()
    rows: list[np.ndarray] = [np.full((1, p), np.nan, dtype=np.float32)]
    thresholds: dict[int, list[float]] = {}
    for comp in model.components:
        node = None
        if comp == "hgb":
            node = hist_gradient_boosting_node(model.parts.hgb, "x", "y")
        elif comp == "anomaly":
            node, _ = isolation_forest_node(model.parts.iso, "x", "y")
        if node is not None:
            for f, t in split_points(node):
                thresholds.setdefault(f, []).append(t)
    for j, c in enumerate(model.columns):
        values: list[float] = [np.nan]
        if c.kind == "numeric":
            col = base[:, j][~np.isnan(base[:, j])]
            lo, hi = (float(col.min()), float(col.max())) if len(col) else (0.0, 1.0)
            span = hi - lo + 1.0
            values += [0.0, lo - 1e3 * span, hi + 1e3 * span, -1e30, 1e30]
            ts = sorted(set(thresholds.get(j, [])))
            if len(ts) > MAX_THRESHOLDS_PER_COLUMN:
                ts = [ts[i] for i in np.linspace(0, len(ts) - 1, MAX_THRESHOLDS_PER_COLUMN).astype(int)]
            for t in ts:
                values += [t, float(np.nextafter(np.float32(t), np.float32(np.inf)))]
        else:
            values += [float(i) for i in range(len(c.categories) + 1)]
        block = np.repeat(row, len(values), axis=0)
        block[:, j] = np.asarray(values, dtype=np.float32)
        rows.append(block)
    return np.vstack(rows).astype(np.float32)
