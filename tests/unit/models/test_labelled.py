"""Labelled production rows (review outcomes, chargebacks) in retraining: merged into the fit slice,
counted in the version's metadata, and read by the orchestration's extract step from the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models import retraining
from models.catalog import describe_models
from models.fraud.labelled import data_sources, merge_labelled
from models.registry import CONTAINER, ModelRegistry
from shared import composition as bootstrap
from shared.adapters.folder_blobs import FolderBlobStore
from shared.orders.fraud_labels import labels_container
from tests.ml_fixtures import small_frame
from tests.unit.edge_support import use_env
from tests.unit.models.test_retraining import SMALL, run_orchestration


@pytest.fixture(autouse=True)
def dev(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    use_env(monkeypatch, tmp_path)
    bootstrap.reset()
    yield
    bootstrap.reset()


def labelled_row(is_fraud: int, source: str) -> dict[str, Any]:
    """A row as shared.orders.fraud_labels.labelled_rows returns it."""
    return {
        "amount": 900.0 if is_fraud else 35.0,
        "items": 1,
        "account_age_days": 0.2 if is_fraud else 300.0,
        "prior_orders": 0 if is_fraud else 8,
        "orders_last_hour": 0,
        "orders_last_day": 0,
        "cards_last_hour": 1,
        "cards_last_day": 1,
        "usual_amount": 0.0 if is_fraud else 40.0,
        "new_card": is_fraud,
        "card_country": "GB" if is_fraud else "US",
        "ip_country": "RU" if is_fraud else "US",
        "shipping_country": "US",
        "home_country": "US",
        "provider_signal": "highest" if is_fraud else "normal",
        "is_fraud": is_fraud,
        "source": source,
    }


ROWS = [labelled_row(1, "chargeback")] * 4 + [labelled_row(0, "review")] * 6 + [labelled_row(1, "review")] * 2


def test_labelled_rows_are_prepended_at_the_start_of_the_window() -> None:
    synthetic = small_frame()
    merged = merge_labelled(synthetic, ROWS)
    n = len(synthetic["is_fraud"])
    assert len(merged["is_fraud"]) == n + len(ROWS)
    assert merged["at"][: len(ROWS)].tolist() == [float(np.min(synthetic["at"]))] * len(ROWS)
    assert merged["is_fraud"][:4].tolist() == [1, 1, 1, 1]
    assert merged["card_country"][0] == "GB" and merged["provider_signal"][0] == "highest"
    assert data_sources(merged) == {"chargeback": 4, "review": 8, "synthetic": n}
    assert data_sources(merge_labelled(synthetic, [])) == {"synthetic": n}
    with pytest.raises(ValueError, match="extra"):
        merge_labelled({**synthetic, "extra": synthetic["amount"]}, ROWS)


def test_a_run_with_labels_says_what_it_learnt_from(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "blobs")
    summary = retraining.extract(store, name="fraud", run_id="lab-1", n_customers=SMALL, labelled=ROWS)
    assert summary["source"] == "synthetic+labels" and summary["labelledRows"] == 12
    assert summary["dataSources"]["chargeback"] == 4 and summary["dataSources"]["review"] == 8
    # Repeating the step returns the staged data, whatever labels exist by then.
    assert retraining.extract(store, name="fraud", run_id="lab-1", n_customers=SMALL) == summary
    version = retraining.train(store, name="fraud", run_id="lab-1")["version"]
    registry = ModelRegistry(store.container(CONTAINER))
    meta = registry.metadata("fraud", version)
    assert meta["source"] == "synthetic+labels" and meta["labelledRows"] == 12
    assert meta["dataSources"] == summary["dataSources"]
    (info,) = describe_models(registry).items
    assert info.versions[0].labelled_rows == 12 and info.versions[0].data_sources["review"] == 8


def test_the_orchestration_reads_the_stored_labels(tmp_path: Path) -> None:
    labels = labels_container(bootstrap.get_document_store())
    for i, row in enumerate(ROWS):
        raw = {k: v for k, v in row.items() if k not in ("is_fraud", "source")}
        labels.create(
            {
                "id": f"ord-{i}",
                "docType": "fraudLabel",
                "orderId": f"ord-{i}",
                "isFraud": row["is_fraud"],
                "source": row["source"],
                "raw": raw,
                "labelledAt": "2026-01-01T00:00:00+00:00",
            }
        )
    _, result = run_orchestration("inst-lab", {"name": "fraud", "customers": SMALL})
    assert result["data"]["labelledRows"] == 12 and result["data"]["source"] == "synthetic+labels"
    meta = ModelRegistry(FolderBlobStore(tmp_path / "blobs").container(CONTAINER)).metadata(
        "fraud", result["version"]
    )
    assert meta["labelledRows"] == 12
