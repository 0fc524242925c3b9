"""The real workflow tells the fraud scorer who the customer is: account age and home country from
their profile, distinct cards and new card from the card fingerprints recorded on their orders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.fraud.model import FraudAssessment, FraudInput
from shared.fraud.ports import FraudScorer
from shared.orders.deps import OrderDeps
from shared.orders.stream import rebuild_projections
from shared.ports.documents import Query
from shared.users.repository import UserRepository
from tests.integration.orders.harness import ADDRESS, APPROVED, CUSTOMER, Workflow, order_body, seed_product

Run = Callable[..., Any]
MASTERCARD, DEBIT = "5555555555554444", "4000056655665556"


class RecordingScorer(FraudScorer):
    """The harness's real scorer, keeping what it was asked to score."""

    def __init__(self, inner: FraudScorer) -> None:
        self.inner = inner
        self.seen: list[FraudInput] = []

    def score(self, txn: FraudInput) -> FraudAssessment:
        self.seen.append(txn)
        return self.inner.score(txn)


def old_profile(deps: OrderDeps, days: int) -> None:
    created = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    home = {**ADDRESS, "id": "home", "country": "DE", "isDefault": True}
    doc = {
        "id": CUSTOMER.sub,
        "userId": CUSTOMER.sub,
        "docType": "profile",
        "sub": CUSTOMER.sub,
        "email": CUSTOMER.email,
        "roles": ["customer"],
        "addresses": [home],
        "createdAt": created,
        "updatedAt": created,
    }
    UserRepository(deps.store).create(doc, [])


def test_the_scorer_sees_profile_and_card_history(deps: OrderDeps, run: Run, tmp_path: Path) -> None:
    recorder = RecordingScorer(deps.scorer)
    deps.scorer = recorder  # the activities read this very object (composition.override in conftest)
    old_profile(deps, days=30)
    seed_product(deps, "SKU-R", on_hand=10)
    # A new token per order (as the harness does): only the fingerprint can tell the cards apart.
    bodies = [order_body(deps, "SKU-R", n) for n in (APPROVED, MASTERCARD, DEBIT, APPROVED)]

    async def scenario(wf: Workflow) -> list[str]:
        ids = []
        for number, body in enumerate(bodies):
            order_id = wf.place(body)
            if number >= 2:  # three cards within the hour: card testing asks a person
                await wf.until(order_id, "awaiting_review")
                wf.decide(order_id, "approve")
            await wf.finish(order_id)
            ids.append(order_id)
        return ids

    ids = run(scenario)
    assert [t.order_id for t in recorder.seen] == ids
    first = recorder.seen[0]
    assert first.account_age_days == pytest.approx(30, abs=0.01) and first.customer_country == "DE"
    assert first.ip_country is None and first.shipping_country == "US"
    cards = [(t.distinct_cards_last_hour, t.distinct_cards_last_day, t.new_card) for t in recorder.seen]
    assert cards == [(1, 1, True), (2, 2, True), (3, 3, True), (3, 3, False)]
    assert [t.prior_orders for t in recorder.seen] == [0, 1, 2, 3]
    states = [deps.stream.load(i) for i in ids]
    assert all(s is not None and s.state.status == "confirmed" for s in states)
    decisions = [s.state.fraud.decision if s is not None and s.state.fraud else None for s in states]
    assert decisions == ["approve", "approve", "review", "review"]
    checked = [e["data"] for e in deps.stream.events(ids[2]) if e["type"] == "FraudChecked"]
    # Shipped to the US with a home in DE: a new card that is foreign to the customer counts too.
    assert checked and {"rule:card_testing", "rule:new_foreign_card"} <= set(checked[0]["reasons"])


def test_the_fingerprint_is_kept_internal(deps: OrderDeps, run: Run, tmp_path: Path) -> None:
    seed_product(deps, "SKU-I", on_hand=3)
    body = order_body(deps, "SKU-I", MASTERCARD)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.finish(order_id)
        return order_id

    order_id = run(scenario)
    loaded = deps.stream.load(order_id)
    assert loaded is not None
    fp = loaded.state.card_fingerprint
    assert fp is not None and fp == deps.payments.vault.fingerprint(body.payment_token, CUSTOMER.sub)
    assert deps.stream.lists.read(order_id, CUSTOMER.sub)["cardFingerprint"] == fp
    deps.stream.lists.delete(order_id, CUSTOMER.sub)
    rebuild_projections(deps.store)  # the list entry is recomputed from the stream, fingerprint included
    assert deps.stream.lists.read(order_id, CUSTOMER.sub)["cardFingerprint"] == fp
    # Not in the public order, the events API, the order read model or any published event.
    assert "cardFingerprint" not in loaded.state.public().model_dump(by_alias=True)
    assert all("cardFingerprint" not in e["data"] for e in deps.stream.events(order_id))
    assert fp not in str(deps.stream.orders.read(order_id, order_id))
    internal = ("order_head", "order_event")
    outbox = [
        d
        for d in deps.stream.streams.query_all(Query(), partition_key=order_id)
        if d.get("docType") not in internal
    ]
    assert outbox and all(fp not in str(d) for d in outbox)
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert MASTERCARD.encode() not in path.read_bytes(), path
