from __future__ import annotations

import jsonschema_rs
import pytest

from shared.inventory.model import InsufficientStock, StockItem
from shared.inventory.schemas import AdjustmentCreate
from shared.inventory.service import (
    SkuTaken,
    adjust_stock,
    ensure_stock,
    get_stock,
    list_adjustments,
    set_low_stock_threshold,
)
from shared.kernel.errors import NotFound, ValidationFailed
from shared.ports.documents import DocumentStore
from tests.unit.inventory.conftest import pending_event_types, stocked


def test_new_sku_has_a_zero_record(store: DocumentStore) -> None:
    item = ensure_stock(store=store, sku="SKU-1", product_id="p1", product_exists=lambda _: True)
    assert (item.on_hand, item.reserved, item.available) == (0, 0, 0)
    assert get_stock(store=store, sku="SKU-1").product_id == "p1"


def test_ensure_is_idempotent_for_the_same_product(store: DocumentStore) -> None:
    ensure_stock(store=store, sku="SKU-1", product_id="p1", product_exists=lambda _: True)
    adjust_stock(store=store, sku="SKU-1", delta=3, reason="count")
    again = ensure_stock(store=store, sku="SKU-1", product_id="p1", product_exists=lambda _: True)
    assert again.on_hand == 3


def test_sku_of_another_live_product_is_a_conflict(store: DocumentStore) -> None:
    ensure_stock(store=store, sku="SKU-1", product_id="p1", product_exists=lambda _: True)
    with pytest.raises(SkuTaken):
        ensure_stock(store=store, sku="SKU-1", product_id="p2", product_exists=lambda pid: pid == "p1")


def test_orphaned_record_is_taken_over(store: DocumentStore) -> None:
    ensure_stock(store=store, sku="SKU-1", product_id="ghost", product_exists=lambda _: True)
    item = ensure_stock(store=store, sku="SKU-1", product_id="p2", product_exists=lambda _: False)
    assert item.product_id == "p2"


def test_adjustment_changes_on_hand_and_keeps_an_audit_trail(store: DocumentStore) -> None:
    stocked(store, "SKU-1", 10)
    adjust_stock(store=store, sku="SKU-1", delta=-4, reason="damaged", actor="admin-1")
    assert get_stock(store=store, sku="SKU-1").on_hand == 6
    records = list_adjustments(store=store, sku="SKU-1").items
    assert [(r["delta"], r["reason"]) for r in records] == [(-4, "damaged"), (10, "initial count")]
    assert records[0]["adjustedBy"] == "admin-1"
    assert pending_event_types(store).count("InventoryAdjusted") == 2


def test_adjustment_below_zero_is_refused_and_changes_nothing(store: DocumentStore) -> None:
    stocked(store, "SKU-1", 3)
    with pytest.raises(InsufficientStock) as err:
        adjust_stock(store=store, sku="SKU-1", delta=-4, reason="oops")
    assert err.value.status == 409
    assert get_stock(store=store, sku="SKU-1").on_hand == 3
    assert len(list_adjustments(store=store, sku="SKU-1").items) == 1


def test_zero_delta_and_unknown_sku(store: DocumentStore) -> None:
    stocked(store, "SKU-1", 1)
    with pytest.raises(ValidationFailed):
        adjust_stock(store=store, sku="SKU-1", delta=0, reason="nothing")
    with pytest.raises(NotFound):
        adjust_stock(store=store, sku="NOPE", delta=1, reason="x")


def test_stock_low_is_sent_when_crossing_the_threshold(store: DocumentStore) -> None:
    stocked(store, "SKU-1", 10)  # threshold 2 from the fixture's settings
    adjust_stock(store=store, sku="SKU-1", delta=-7, reason="sold offline")  # 3 left: not low
    assert "StockLow" not in pending_event_types(store)
    adjust_stock(store=store, sku="SKU-1", delta=-1, reason="sold offline")  # 2 left: low
    adjust_stock(store=store, sku="SKU-1", delta=-1, reason="sold offline")  # still low: no repeat
    assert pending_event_types(store).count("StockLow") == 1
    set_low_stock_threshold(store=store, sku="SKU-1", threshold=0)
    assert get_stock(store=store, sku="SKU-1").low_stock_threshold == 0


def test_stock_item_rules() -> None:
    item = StockItem(sku="S", on_hand=5)
    assert item.hold("o1", 2) and not item.hold("o1", 2)
    assert (item.reserved, item.available) == (2, 3)
    with pytest.raises(InsufficientStock):
        item.hold("o2", 4)
    with pytest.raises(InsufficientStock):
        item.adjust(-4)
    assert item.consume("o1") == 2 and (item.on_hand, item.reserved) == (3, 0)
    assert item.release("o1") == 0


def test_schema_documents_that_a_zero_delta_is_refused() -> None:
    # Found by tests/e2e/test_api_fuzz.py: {"delta": 0} was schema-valid, then refused with 422.
    validator = jsonschema_rs.validator_for(AdjustmentCreate.model_json_schema())
    assert validator.is_valid({"delta": 3, "reason": "recount"})
    assert validator.is_valid({"delta": -3, "reason": "recount"})
    assert not validator.is_valid({"delta": 0, "reason": "recount"})
