"""The demand model's ONNX graph reproduces the numpy model; the serving predictor (onnxruntime +
numpy) gives the same units and recommendations; the artifact registers in the real registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from models import pricing
from models.parity import ParityError, check_parity
from models.pricing.onnx_export import parity_rows, to_onnx
from models.pricing.serving import DemandPredictor
from models.registry import CONTAINER, ModelRegistry
from models.synthetic_sales import generate_sales
from shared.adapters.folder_blobs import FolderBlobStore

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def model() -> tuple:
    h = generate_sales(n_skus=9, days=400, seed=4)
    dm = pricing.fit_demand(h.to_frame())
    return h, dm, pricing.export(dm)


def test_onnx_matches_numpy_within_1e_4(model: tuple) -> None:
    _, dm, art = model
    assert art.metadata["parity"]["passed"] and art.metadata["parity"]["max_abs_diff"] <= 1e-4
    rows = parity_rows(dm, seed=9)
    session = ort.InferenceSession(art.onnx, providers=["CPUExecutionProvider"])
    score, units = session.run(["score", "units"], {"features": rows})
    want = dm.log_units(rows.astype(np.float64))
    assert np.max(np.abs(score - want)) <= 1e-4
    assert np.max(np.abs(units / np.exp(want) - 1)) <= 1e-4


def test_parity_gate_catches_a_wrong_graph(model: tuple) -> None:
    _, dm, _ = model
    rows = parity_rows(dm)
    broken = to_onnx(type(dm)(**{**dm.__dict__, "alpha": dm.alpha + 0.01}))
    with pytest.raises(ParityError):
        check_parity(broken, rows, dm.log_units(rows.astype(np.float64)), output="score")


def test_serving_predictor_matches_the_trained_model(model: tuple) -> None:
    h, dm, art = model
    predictor = DemandPredictor(art.onnx, art.metadata)
    for sku in h.skus:
        prices = np.array([0.8, 1.0, 1.2]) * h.truth[sku].base_price
        for period in (None, "2025-03-15"):
            got = predictor.predict_units(sku, prices, period, promo=1.0)
            want = dm.predict_units(sku, prices, period, promo=1.0)
            assert np.max(np.abs(got / want - 1)) <= 1e-4
        assert predictor.elasticity(sku) == pytest.approx(dm.elasticity(sku))
    sku = h.skus[0]
    rec = predictor.recommend(sku, current_price=h.truth[sku].base_price, unit_cost=h.truth[sku].cost)
    assert rec.feasible and rec.expected_profit >= rec.current_expected_profit - 1e-9
    with pytest.raises(ValueError, match="unknown product"):
        predictor.predict_units("nope", [1.0])


def test_artifact_registers_in_the_model_registry(model: tuple, tmp_path: Path) -> None:
    _, _, art = model
    registry = ModelRegistry(FolderBlobStore(tmp_path).container(CONTAINER))
    version = registry.register(art)
    assert registry.load_onnx("demand", version) == art.onnx
    assert registry.metadata("demand", version)["products"] == art.metadata["products"]


def test_serving_modules_import_no_training_libraries() -> None:
    heavy = ("sklearn", "scipy", "pandas", "statsforecast", "statsmodels")
    code = (
        "import sys, models.pricing, models.pricing.serving, models.forecast, models.forecast.reorder\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
