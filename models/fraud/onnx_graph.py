"""The fraud ensemble as one ONNX graph: features -> (score, components).

    features [n, F] --hgb--> raw [n,1]  --\
                   --iforest--> path [n,1] -> anomaly = exp(-ln2 * path / c) -> concat -> linear -> sigmoid
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.fraud.training import TrainedFraudModel
from models.onnx_trees import ML_DOMAIN, hist_gradient_boosting_node, isolation_forest_node

INPUT = "features"
OUTPUTS = ("score", "components")


def to_onnx(model: TrainedFraudModel) -> bytes:
    n_features = len(model.feature_names)
    hgb = hist_gradient_boosting_node(model.classifier, INPUT, "raw")
    iso, c = isolation_forest_node(model.anomaly, INPUT, "path")
    coef = np.asarray(model.calibrator.coef_, dtype=np.float32).reshape(2, 1)
    intercept = np.asarray(model.calibrator.intercept_, dtype=np.float32).reshape(1)
    scale = np.array([-np.log(2.0) / c if c > 0 else 0.0], dtype=np.float32)
    initializers = [
        numpy_helper.from_array(scale, "path_scale"),
        numpy_helper.from_array(coef, "calib_coef"),
        numpy_helper.from_array(intercept, "calib_intercept"),
    ]
    nodes = [
        hgb,
        iso,
        helper.make_node("Mul", ["path", "path_scale"], ["neg_scaled_path"]),
        helper.make_node("Exp", ["neg_scaled_path"], ["anomaly"]),
        helper.make_node("Concat", ["raw", "anomaly"], ["components"], axis=1),
        helper.make_node("MatMul", ["components", "calib_coef"], ["logit_nob"]),
        helper.make_node("Add", ["logit_nob", "calib_intercept"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["score"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fraud_ensemble",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [None, n_features])],
        [
            helper.make_tensor_value_info("score", TensorProto.FLOAT, [None, 1]),
            helper.make_tensor_value_info("components", TensorProto.FLOAT, [None, 2]),
        ],
        initializer=initializers,
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ML_DOMAIN, 3)],
        producer_name="smartcommerce.models",
    )
    proto.ir_version = 9
    onnx.checker.check_model(proto)
    return proto.SerializeToString()
