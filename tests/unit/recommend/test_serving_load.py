"""Loading an artifact for serving needs onnxruntime + numpy, never `onnx` (~1.1 s of CPU to
import: a cold instance's first recommendations request would wait for it), and reads exactly
what the full onnx parse reads, falling back to that parse for what the light reader cannot vouch
for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from models.recommend import RecsScorer, wire
from models.recommend import graph as recs_graph

ROOT = Path(__file__).resolve().parents[3]


def test_loading_and_serving_an_artifact_does_not_import_onnx(artifact: bytes, tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(artifact)  # exported by this process (training imports onnx; serving must not)
    code = (
        "import sys, pathlib\n"
        "from shared.recommendations.scorer_source import load_recs_scorer\n"
        f"scorer = load_recs_scorer(pathlib.Path({str(path)!r}).read_bytes())\n"
        "recs = scorer.recommend_from({'p100': 1.0, 'p101': 2.0}, k=5)\n"
        "also = scorer.similar_to('p100', k=5)\n"
        "assert recs and also and all(r.reason.text() for r in recs + also)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'onnx'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_light_reader_reads_what_onnx_reads(artifact: bytes) -> None:
    proto = onnx.load_from_string(artifact)
    expected = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    found = wire.read(artifact, recs_graph.MATRICES)
    assert found.metadata == {p.key: p.value for p in proto.metadata_props}
    assert set(found.tensors) == set(recs_graph.MATRICES)
    for name, array in found.tensors.items():
        assert array.dtype == np.float32 and array.flags.writeable and array.flags.owndata
        np.testing.assert_array_equal(array, expected[name])


def _as_float_data(artifact: bytes) -> bytes:
    """The same model with its matrices stored as float_data instead of raw_data (valid ONNX that
    our exporter never writes)."""
    proto = onnx.load_from_string(artifact)
    for tensor in proto.graph.initializer:
        if tensor.name in recs_graph.MATRICES:
            values = numpy_helper.to_array(tensor).ravel().tolist()
            tensor.ClearField("raw_data")
            tensor.float_data.extend(values)
    return proto.SerializeToString()


def test_an_artifact_the_light_reader_cannot_vouch_for_still_loads_through_onnx(artifact: bytes) -> None:
    unusual = _as_float_data(artifact)
    with pytest.raises(wire.Unreadable):
        wire.read(unusual, recs_graph.MATRICES)
    reference, scorer = RecsScorer(artifact), RecsScorer(unusual)
    np.testing.assert_array_equal(scorer.model.w_cf, reference.model.w_cf)
    np.testing.assert_array_equal(scorer.model.w_content, reference.model.w_content)
    history = {"p100": 1.0, "p205": 0.5}
    assert scorer.recommend_from(history, k=8) == reference.recommend_from(history, k=8)


@pytest.mark.parametrize("cut", [1, 7, 1000])
def test_a_truncated_artifact_is_refused(artifact: bytes, cut: int) -> None:
    with pytest.raises(Exception):  # noqa: B017 - onnx's DecodeError or our ValueError: never a scorer
        RecsScorer(artifact[:-cut])


def test_bytes_that_are_not_a_recommender_are_refused() -> None:
    with pytest.raises(wire.Unreadable):
        wire.read(b"\x0a\x05hello", recs_graph.MATRICES)
    with pytest.raises(Exception):  # noqa: B017
        RecsScorer(b"not an onnx model at all")


def test_damaged_artifacts_are_refused_or_read_exactly_as_onnx_reads_them(artifact: bytes) -> None:
    """Differential check of the light reader: flip a bit or drop a byte anywhere; whenever a
    scorer still loads, onnx parses the same bytes to the same matrices (never a silent misread)."""
    rng = np.random.default_rng(0)
    loaded = 0
    for _ in range(200):
        damaged = bytearray(artifact)
        pos = int(rng.integers(0, len(damaged)))
        if rng.random() < 0.5:
            damaged[pos] ^= 1 << int(rng.integers(0, 8))
        else:
            del damaged[pos]
        data = bytes(damaged)
        try:
            scorer = RecsScorer(data)
        except Exception:  # refusing damaged bytes is the right answer
            continue
        loaded += 1
        proto = onnx.load_from_string(data)  # must parse: we served from these bytes
        expected = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
        for name in recs_graph.MATRICES:
            np.testing.assert_array_equal(getattr(scorer.model, name), expected[name])
    assert loaded  # most flips land in the matrices' raw bytes: the check did compare
