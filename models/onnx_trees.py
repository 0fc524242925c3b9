"""Hand-built ONNX TreeEnsembleRegressor nodes for scikit-learn tree ensembles.

Why hand-built (see docs/ML.md): skl2onnx cannot convert HistGradientBoosting in this version pair,
and its IsolationForest graph is ~150x slower than one TreeEnsemble over the path lengths. Both
converters here produce exact graphs (checked by the parity tests on held-out rows).

Only used at training/export time; imports no scikit-learn itself (it reads fitted attributes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from onnx import NodeProto, helper

ML_DOMAIN = "ai.onnx.ml"


@dataclass
class _Ensemble:
    treeids: list[int] = field(default_factory=list)
    nodeids: list[int] = field(default_factory=list)
    featureids: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    true_ids: list[int] = field(default_factory=list)
    false_ids: list[int] = field(default_factory=list)
    missing_true: list[int] = field(default_factory=list)
    t_treeids: list[int] = field(default_factory=list)
    t_nodeids: list[int] = field(default_factory=list)
    t_weights: list[float] = field(default_factory=list)

    def split(
        self, tree: int, node: int, feature: int, threshold: float, left: int, right: int, missing_left: bool
    ) -> None:
        self._node(
            tree, node, feature, float32_threshold(threshold), "BRANCH_LEQ", left, right, int(missing_left)
        )

    def leaf(self, tree: int, node: int, weight: float) -> None:
        self._node(tree, node, 0, 0.0, "LEAF", 0, 0, 0)
        self.t_treeids.append(tree)
        self.t_nodeids.append(node)
        self.t_weights.append(float(weight))

    def _node(
        self, tree: int, node: int, feature: int, value: float, mode: str, t: int, f: int, miss: int
    ) -> None:
        self.treeids.append(tree)
        self.nodeids.append(node)
        self.featureids.append(int(feature))
        self.values.append(float(value))
        self.modes.append(mode)
        self.true_ids.append(int(t))
        self.false_ids.append(int(f))
        self.missing_true.append(miss)

    def node(self, inp: str, out: str, *, base: float, aggregate: str, name: str) -> NodeProto:
        return helper.make_node(
            "TreeEnsembleRegressor",
            [inp],
            [out],
            domain=ML_DOMAIN,
            name=name,
            n_targets=1,
            aggregate_function=aggregate,
            base_values=[float(base)],
            post_transform="NONE",
            nodes_treeids=self.treeids,
            nodes_nodeids=self.nodeids,
            nodes_featureids=self.featureids,
            nodes_values=self.values,
            nodes_modes=self.modes,
            nodes_truenodeids=self.true_ids,
            nodes_falsenodeids=self.false_ids,
            nodes_missing_value_tracks_true=self.missing_true,
            target_ids=[0] * len(self.t_nodeids),
            target_nodeids=self.t_nodeids,
            target_treeids=self.t_treeids,
            target_weights=self.t_weights,
        )


def float32_threshold(threshold: float) -> float:
    """The float32 threshold that sends every float32 input the way scikit-learn's float64 one does.

    scikit-learn compares `x <= t` with x a float32 value (trees cast X to float32; HGB compares the
    float32-representable inputs in float64) and t a float64. onnxruntime stores `nodes_values` as
    float32 and compares in float32. Rounding t to the *nearest* float32 can land above t, and an
    input exactly at that float32 value then goes left in ONNX but right in scikit-learn. The largest
    float32 <= t splits the float32 inputs exactly as t does.
    """
    t = float(threshold)
    if not np.isfinite(t):
        return t
    t32 = np.float32(t)
    if float(t32) > t:
        t32 = np.nextafter(t32, np.float32(-np.inf))
    return float(t32)


def split_points(node: NodeProto) -> list[tuple[int, float]]:
    """(feature, float32 threshold) of every split of a TreeEnsemble node: the parity gate's edge rows."""
    attrs = {a.name: a for a in node.attribute}
    modes = [m.decode() if isinstance(m, bytes) else m for m in attrs["nodes_modes"].strings]
    feats = list(attrs["nodes_featureids"].ints)
    values = list(attrs["nodes_values"].floats)
    return sorted({(f, v) for f, v, m in zip(feats, values, modes, strict=True) if m != "LEAF"})


def hist_gradient_boosting_node(model: Any, inp: str, out: str) -> NodeProto:
    """A binary HistGradientBoostingClassifier's raw score (its `decision_function`), [n, 1]."""
    if getattr(model, "n_trees_per_iteration_", 1) != 1:
        raise ValueError("only binary classifiers are supported")
    ens = _Ensemble()
    for tree_id, (predictor,) in enumerate(model._predictors):
        nodes = predictor.nodes
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not supported")
        for i, n in enumerate(nodes):
            if n["is_leaf"]:
                ens.leaf(tree_id, i, float(n["value"]))  # leaf values already carry the learning rate
            else:
                ens.split(
                    tree_id,
                    i,
                    int(n["feature_idx"]),
                    float(n["num_threshold"]),
                    int(n["left"]),
                    int(n["right"]),
                    bool(n["missing_go_to_left"]),
                )
    base = float(np.asarray(model._baseline_prediction).reshape(-1)[0])
    return ens.node(inp, out, base=base, aggregate="SUM", name="hgb")


def average_path_length(n: int) -> float:
    """c(n) of the isolation forest paper: expected path length of an unsuccessful BST search."""
    if n <= 1:
        return 0.0
    if n == 2:
        return 1.0
    return 2.0 * (np.log(n - 1.0) + np.euler_gamma) - 2.0 * (n - 1.0) / n


def isolation_forest_node(model: Any, inp: str, out: str) -> tuple[NodeProto, float]:
    """An IsolationForest's mean path length, [n, 1], and the normaliser c(max_samples).

    The anomaly score is 2 ** (-mean_path / c) (= -score_samples); the caller adds those ops.
    """
    ens = _Ensemble()
    subsample = model._max_features != model.n_features_in_
    for tree_id, (est, feats) in enumerate(zip(model.estimators_, model.estimators_features_, strict=True)):
        tree = est.tree_
        lengths = model._decision_path_lengths[tree_id]
        avg = model._average_path_length_per_tree[tree_id]
        for i in range(tree.node_count):
            left, right = int(tree.children_left[i]), int(tree.children_right[i])
            if left == -1:
                ens.leaf(tree_id, i, (float(lengths[i]) + float(avg[i]) - 1.0) / len(model.estimators_))
            else:
                feature = int(feats[tree.feature[i]]) if subsample else int(tree.feature[i])
                # scikit-learn decides per node where a missing value goes (learnt when the training
                # data had NaN there, else a fixed side): copy the node's flag, never assume "left".
                missing_left = bool(tree.missing_go_to_left[i])
                ens.split(tree_id, i, feature, float(tree.threshold[i]), left, right, missing_left)
    return ens.node(inp, out, base=0.0, aggregate="SUM", name="iforest"), average_path_length(
        int(model._max_samples)
    )
