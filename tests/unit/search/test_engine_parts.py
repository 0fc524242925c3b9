"""Smaller pieces: the engine's import purity, the int8 scorer, the query set's reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench import search_queries
from bench.search_relevance import ndcg, recall
from shared.search.engine.vectors import DOT_MODEL, VectorStore

ROOT = Path(__file__).resolve().parents[3]


def test_the_engine_imports_no_storage_settings_http_azure_or_model() -> None:
    code = (
        "import sys, shared.search.engine\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('shared.adapters', 'shared.settings', "
        "'shared.http', 'shared.ports', 'azure', 'aiohttp', 'sklearn', 'onnxruntime', 'tokenizers', "
        "'onnx')))\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_int8_scores_track_float_cosines() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(500, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = VectorStore(384, capacity=8)  # grows
    store.set_many(np.arange(500), vectors)
    scores = store.scores(vectors[7], 500)
    assert np.abs(scores - vectors @ vectors[7]).max() < 0.04 and int(np.argmax(scores)) == 7
    store.clear(7)
    assert store.scores(vectors[7], 500)[7] == 0


def test_the_embedded_dot_product_graph_is_what_onnx_helper_builds() -> None:
    from onnx import TensorProto, helper

    q = helper.make_tensor_value_info("q", TensorProto.UINT8, [1, "d"])
    m = helper.make_tensor_value_info("m", TensorProto.INT8, ["d", "n"])
    y = helper.make_tensor_value_info("y", TensorProto.INT32, [1, "n"])
    graph = helper.make_graph([helper.make_node("MatMulInteger", ["q", "m"], ["y"])], "dot", [q, m], [y])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="smartcommerce-search"
    )
    model.ir_version = 8
    assert model.SerializeToString() == DOT_MODEL


def test_the_checked_in_query_set_is_what_the_generator_makes() -> None:
    stored = json.loads(search_queries.OUT.read_text())
    assert stored == json.loads(json.dumps(search_queries.build()))
    assert len(stored["queries"]) >= 100
    assert {q["type"] for q in stored["queries"]} >= {
        "exact",
        "misspelled",
        "descriptive",
        "category",
        "brand",
    }


def test_metrics() -> None:
    labels = {"a": 3, "b": 1}
    assert ndcg(["a", "b"], labels) == 1.0 and ndcg(["b", "a"], labels) < 1.0 and ndcg(["x"], labels) == 0
    assert recall(["a", "x"], labels) == 0.5
