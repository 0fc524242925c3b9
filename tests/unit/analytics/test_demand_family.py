"""The demand model through the retraining steps (models.retraining -> models.pricing.family.FAMILY):
staged as arrays, idempotent per run, champion vs challenger on the same held-out days."""

from __future__ import annotations

from typing import Any

import pytest

from models import retraining
from models.pricing.family import FAMILY, arrays_to_rows, rows_to_arrays
from models.registry import CONTAINER, ModelRegistry
from shared.pricing.training import demand_rows
from tests.unit.analytics.support import trained_shop


def test_rows_survive_staging_as_arrays() -> None:
    rows = [
        {"product_id": "p1", "category": "c", "date": "2025-01-02", "units": 3.0, "price": 9.5, "promo": 0.0}
    ]
    assert arrays_to_rows(rows_to_arrays(rows)) == rows


def test_demand_retraining_steps_are_idempotent_and_compare_with_the_champion(
    store: Any, blobs: Any, make_product: Any
) -> None:
    shop = trained_shop(store, blobs, make_product, n=4)  # version 1 is the champion
    rows = demand_rows(store)
    data = retraining.extract(blobs, name="demand", run_id="run-1", rows=rows)
    assert data["rows"] == len(rows) and data["products"] == 4 and data["source"] == "sales"
    assert retraining.extract(blobs, name="demand", run_id="run-1", rows=[]) == data  # staged once
    trained = retraining.train(blobs, name="demand", run_id="run-1")
    assert retraining.train(blobs, name="demand", run_id="run-1") == trained  # registered once
    assert trained["metrics"]["maeLogUnits"] < trained["metrics"]["maeLogUnitsNoPrice"]
    evaluation = retraining.evaluate(blobs, name="demand", run_id="run-1")
    assert evaluation["champion"] == shop.version and evaluation["holdoutRows"] > 0
    registry = ModelRegistry(blobs.container(CONTAINER))
    champion = registry.champion("demand")
    assert champion is not None
    # Same data, same fit: not better than the champion, so it stays.
    assert evaluation["promoted"] is (evaluation["candidateMaeLogUnits"] < evaluation["championMaeLogUnits"])
    assert champion.version == (trained["version"] if evaluation["promoted"] else shop.version)
    assert retraining.evaluate(blobs, name="demand", run_id="run-1") == evaluation


def test_no_sales_history_fails_the_run_with_the_reason(blobs: Any) -> None:
    retraining.extract(blobs, name="demand", run_id="empty", rows=[])
    with pytest.raises(ValueError, match="no sales history"):
        retraining.train(blobs, name="demand", run_id="empty")
    assert FAMILY.thresholds(None, None, None) is None  # type: ignore[arg-type]
