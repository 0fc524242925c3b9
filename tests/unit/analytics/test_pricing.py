"""Sku economics, recommendations from the live ONNX demand model, proposals and their approval."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.catalog.repository import CatalogRepository
from shared.catalog.schemas import ProductListQuery
from shared.catalog.service import get_product, list_products, price_history
from shared.kernel.errors import Conflict, NotFound, ValidationFailed
from shared.kernel.money import Money
from shared.messaging.outbox import PENDING
from shared.pricing import proposals
from shared.pricing.economics import put_economics, read_economics
from shared.pricing.nightly import propose_all
from shared.pricing.recommendation import recommend_for_product
from shared.pricing.schemas import SkuEconomicsIn
from shared.settings import get_settings
from tests.unit.analytics.support import TrainedShop, trained_shop


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


@pytest.fixture
def shop(store: Any, blobs: Any, make_product: Any) -> TrainedShop:
    return trained_shop(store, blobs, make_product)


def _price_events(store: Any) -> list[dict[str, Any]]:
    docs = CatalogRepository(store).products.query_all(PENDING)
    return [d["_outbox"]["event"] for d in docs if d["_outbox"]["event"]["type"] == "PriceUpdated"]


# --- economics -----------------------------------------------------------------------------------


def test_cost_is_admin_data_and_never_in_public_product_responses(store: Any, make_product: Any) -> None:
    product = make_product(price="20.00")
    put_economics(
        store=store, sku=product.sku, data=SkuEconomicsIn(cost=usd("11.37"), map_price=usd("15.00"))
    )
    assert read_economics(store=store, sku=product.sku).cost == usd("11.37")
    public = [
        get_product(store=store, product_id=product.id).value.model_dump_json(by_alias=True),
        list_products(store=store, query=ProductListQuery()).model_dump_json(by_alias=True),
    ]
    for body in public:
        assert "cost" not in body.lower() and "11.37" not in body and "mapPrice" not in body


def test_economics_must_be_in_the_skus_currency(store: Any, make_product: Any) -> None:
    product = make_product()
    with pytest.raises(ValidationFailed) as caught:
        put_economics(store=store, sku=product.sku, data=SkuEconomicsIn(cost=Money.of("3.00", "EUR")))
    assert caught.value.errors[0]["field"] == "cost.currency"
    with pytest.raises(ValidationFailed):
        put_economics(
            store=store,
            sku=product.sku,
            data=SkuEconomicsIn(cost=usd("1"), min_price=usd("9"), max_price=usd("5")),
        )
    with pytest.raises(NotFound):
        put_economics(store=store, sku="NOPE-1", data=SkuEconomicsIn(cost=usd("1")))
    with pytest.raises(NotFound):
        read_economics(store=store, sku=product.sku)  # never set


# --- recommendations -------------------------------------------------------------------------------


def test_no_model_and_no_cost_are_conflicts(store: Any, blobs: Any, make_product: Any) -> None:
    product = make_product()
    with pytest.raises(Conflict) as caught:
        recommend_for_product(store=store, blobs=blobs, settings=get_settings(), product_id=product.id)
    assert caught.value.code == "no_demand_model"
    with pytest.raises(NotFound):
        recommend_for_product(store=store, blobs=blobs, settings=get_settings(), product_id="nope")


def test_recommendation_uses_the_live_model_within_guardrails(
    store: Any, blobs: Any, shop: TrainedShop
) -> None:
    settings = get_settings()
    for product in shop.products:
        rec = recommend_for_product(store=store, blobs=blobs, settings=settings, product_id=product.id)
        current = float(product.price.amount)
        price = float(rec.recommended_price.amount)
        cost = float(read_economics(store=store, sku=product.sku).cost.amount)
        assert rec.model_version == shop.version
        assert rec.feasible, rec.reason
        assert abs(price - current) <= settings.pricing_max_step * current + 0.01
        assert (price - cost) / price >= settings.pricing_min_margin - 1e-3
        assert float(rec.bounds.lower.amount) - 0.01 <= price <= float(rec.bounds.upper.amount) + 0.01
        lo, hi = rec.elasticity_interval.lower, rec.elasticity_interval.upper
        assert lo <= rec.elasticity <= hi < 0
        assert float(rec.expected_profit.amount) >= float(rec.current_expected_profit.amount) - 0.01


def test_elasticities_served_have_the_right_sign_and_are_close(
    store: Any, blobs: Any, shop: TrainedShop
) -> None:
    errors = []
    for product in shop.products:
        rec = recommend_for_product(store=store, blobs=blobs, settings=get_settings(), product_id=product.id)
        assert rec.elasticity < 0
        errors.append(abs(rec.elasticity - shop.truth[product.id]))
    assert sum(errors) / len(errors) < 0.6, errors


def test_map_and_explicit_bounds_hold(store: Any, blobs: Any, shop: TrainedShop) -> None:
    product = shop.products[0]
    current = float(product.price.amount)
    floor = Money.rounded(Decimal(f"{current * 1.01:.4f}"), "USD")
    cost = read_economics(store=store, sku=product.sku).cost
    put_economics(store=store, sku=product.sku, data=SkuEconomicsIn(cost=cost, map_price=floor))
    rec = recommend_for_product(store=store, blobs=blobs, settings=get_settings(), product_id=product.id)
    assert rec.feasible and rec.recommended_price.amount >= floor.amount, rec
    assert rec.bounds.guardrails["map"].lower == floor
    ceiling = Money.rounded(Decimal(f"{current * 0.97:.4f}"), "USD")
    put_economics(store=store, sku=product.sku, data=SkuEconomicsIn(cost=cost, max_price=ceiling))
    rec = recommend_for_product(store=store, blobs=blobs, settings=get_settings(), product_id=product.id)
    assert rec.feasible and rec.recommended_price.amount <= ceiling.amount, rec
    # A MAP above the max price: nothing satisfies both, the current price stays for a person.
    put_economics(
        store=store, sku=product.sku, data=SkuEconomicsIn(cost=cost, map_price=floor, max_price=ceiling)
    )
    rec = recommend_for_product(store=store, blobs=blobs, settings=get_settings(), product_id=product.id)
    assert not rec.feasible and rec.recommended_price == product.price


# --- proposals and their approval -----------------------------------------------------------------


def _proposal(store: Any, blobs: Any, product: Any, *, threshold: float = 0.0, timeout: int = 60) -> Any:
    rec = recommend_for_product(store=store, blobs=blobs, settings=get_settings(), product_id=product.id)
    assert rec.recommended_price != rec.current_price
    proposal, created = proposals.create_proposal(
        store=store, rec=rec, threshold=threshold, timeout_seconds=timeout
    )
    assert created and proposal.status == "pending"
    return proposal


def test_the_approval_timeout_leaves_the_price_unchanged(store: Any, blobs: Any, shop: TrainedShop) -> None:
    product = shop.products[0]
    proposal = _proposal(store, blobs, product)
    assert proposal.needs_approval
    assert proposals.settle(store=store, id=proposal.id, timed_out=True) == "expired"
    assert get_product(store=store, product_id=product.id).value.price == product.price
    assert _price_events(store) == []
    with pytest.raises(Conflict):  # too late to approve
        proposals.decide(store=store, id=proposal.id, decision="approved", by="admin-1")
    assert proposals.settle(store=store, id=proposal.id, timed_out=False) == "expired"  # a replay
    assert get_product(store=store, product_id=product.id).value.price == product.price


def test_an_approved_proposal_is_applied_through_the_catalog(
    store: Any, blobs: Any, shop: TrainedShop
) -> None:
    product = shop.products[1]
    proposal = _proposal(store, blobs, product)
    decided = proposals.decide(store=store, id=proposal.id, decision="approved", by="admin-1", note="ok")
    assert decided.status == "approved" and decided.decided_by == "admin-1"
    # The timer firing after the approval does not expire it: the approval won.
    assert proposals.settle(store=store, id=proposal.id, timed_out=True) == "applied"
    assert proposals.settle(store=store, id=proposal.id, timed_out=True) == "applied"  # idempotent
    assert get_product(store=store, product_id=product.id).value.price == proposal.proposed_price
    history = price_history(store=store, product_id=product.id).items
    assert [p.price for p in history][-2:] == [product.price, proposal.proposed_price]
    (event,) = _price_events(store)
    assert event["data"]["newPrice"] == proposal.proposed_price.model_dump(mode="json")
    with pytest.raises(Conflict):
        proposals.decide(store=store, id=proposal.id, decision="rejected", by="admin-1")


def test_a_rejected_proposal_changes_nothing(store: Any, blobs: Any, shop: TrainedShop) -> None:
    product = shop.products[2]
    proposal = _proposal(store, blobs, product)
    proposals.decide(store=store, id=proposal.id, decision="rejected", by="admin-1")
    assert proposals.settle(store=store, id=proposal.id, timed_out=False) == "rejected"
    assert get_product(store=store, product_id=product.id).value.price == product.price
    assert _price_events(store) == []


def test_a_small_change_applies_without_approval_unless_the_price_moved(
    store: Any, blobs: Any, shop: TrainedShop
) -> None:
    first, second = shop.products[3], shop.products[4]
    p1 = _proposal(store, blobs, first, threshold=1.0)
    assert not p1.needs_approval and p1.expires_at is None
    with pytest.raises(Conflict):
        proposals.decide(store=store, id=p1.id, decision="approved", by="admin-1")
    assert proposals.settle(store=store, id=p1.id, timed_out=False) == "applied"
    p2 = _proposal(store, blobs, second, threshold=1.0)
    from shared.catalog.service import update_price

    manual = usd("1.23")
    update_price(
        store=store,
        product_id=second.id,
        price=manual,
        if_match=get_product(store=store, product_id=second.id).etag,
    )
    assert proposals.settle(store=store, id=p2.id, timed_out=False) == "expired"
    assert get_product(store=store, product_id=second.id).value.price == manual  # not overwritten


def test_nightly_run_proposes_once_per_product_and_night(
    store: Any, blobs: Any, shop: TrainedShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    first = propose_all(store=store, blobs=blobs, settings=get_settings(), now=now)
    ids = sorted(p.id for p in first.proposals)
    assert ids and all(p.product_id in {x.id for x in shop.products} for p in first.proposals)
    again = propose_all(store=store, blobs=blobs, settings=get_settings(), now=now)
    assert sorted(p.id for p in again.proposals) == ids  # the same records, none added
    listed = proposals.list_proposals(store=store, status="pending", limit=100, continuation_token=None)
    pending_ids = {p.id for p in listed.items}
    assert set(ids) <= pending_ids
    # The next night skips products that still wait for a decision.
    later = propose_all(store=store, blobs=blobs, settings=get_settings(), now=now + timedelta(days=1))
    waiting = {p.product_id for p in first.proposals if p.status == "pending" and p.needs_approval}
    assert not waiting & {p.product_id for p in later.proposals}


def test_proposal_list_pages(store: Any, blobs: Any, shop: TrainedShop) -> None:
    for product in shop.products[:3]:
        _proposal(store, blobs, product)
    page = proposals.list_proposals(store=store, status=None, limit=2, continuation_token=None)
    assert len(page.items) == 2 and page.continuation_token
    rest = proposals.list_proposals(
        store=store, status=None, limit=2, continuation_token=page.continuation_token
    )
    assert len(rest.items) == 1 and rest.continuation_token is None
    with pytest.raises(ValidationFailed):
        proposals.list_proposals(store=store, status=None, limit=2, continuation_token="garbage!")
    assert json.loads(page.items[0].model_dump_json(by_alias=True))["status"] == "pending"
