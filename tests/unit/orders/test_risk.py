"""`fraud_input` over a real SQLite store: the customer's profile (account age, home country) and
order history (distinct card fingerprints, new card), all relative to the order's own time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.orders.deps import OrderDeps
from shared.orders.model import OrderState, apply
from shared.orders.risk import fraud_input
from shared.settings import get_settings
from shared.users.repository import UserRepository
from tests.integration.orders.harness import build_deps
from tests.unit.edge_support import use_env

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
CUSTOMER = "cust-risk"
VISA, MASTERCARD, DEBIT, DISCOVER = (
    "4242424242424242",
    "5555555555554444",
    "4000056655665556",
    "6011111111111117",
)
ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"}


@pytest.fixture
def deps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OrderDeps]:
    use_env(monkeypatch, tmp_path / "data")
    yield build_deps(get_settings(), tmp_path / "data")


def profile(deps: OrderDeps, *, created: datetime, addresses: list[dict[str, Any]] | None = None) -> None:
    doc = {
        "id": CUSTOMER,
        "userId": CUSTOMER,
        "docType": "profile",
        "sub": CUSTOMER,
        "roles": ["customer"],
        "addresses": addresses or [],
        "createdAt": created.isoformat(),
        "updatedAt": created.isoformat(),
    }
    UserRepository(deps.store).create(doc, [])


def fingerprint(deps: OrderDeps, number: str) -> str | None:
    """A real token's fingerprint, as `POST /payments/tokens` then `POST /orders` record it."""
    public = deps.payments.vault.tokenize(
        owner_id=CUSTOMER, number=number, exp_month=12, exp_year=2031, cvc="123", holder_name="Ada"
    )
    return deps.payments.vault.fingerprint(str(public["token"]), CUSTOMER)


def order(deps: OrderDeps, n: int, at: datetime, card: str | None, *, history: bool = True) -> OrderState:
    """An order created at `at`; with `history`, projected into the customer's list like a real one."""
    money = {"amount": "20.00", "currency": "USD"}
    data = {
        "id": f"ord_{n}",
        "customerId": CUSTOMER,
        "items": [
            {
                "sku": "SKU-1",
                "productId": "p1",
                "name": "Mug",
                "quantity": 1,
                "unitPrice": money,
                "lineTotal": money,
            }
        ],
        "subtotal": money,
        "total": money,
        "refundedAmount": {"amount": "0.00", "currency": "USD"},
        "currency": "USD",
        "shippingAddress": ADDRESS,
        "paymentToken": f"tok_{n}",
        "cardFingerprint": card,
    }
    state = apply(None, "OrderCreated", data, at.isoformat())
    if history:
        deps.stream.project(state)
    return state


def test_account_age_comes_from_the_profile_at_the_orders_time(deps: OrderDeps) -> None:
    profile(deps, created=NOW - timedelta(days=400, hours=12))
    old = fraud_input(deps, order(deps, 1, NOW, None, history=False))
    assert old.account_age_days == pytest.approx(400.5)
    # Deterministic: the order's timestamp, not the clock (a later re-score sees the same age).
    assert fraud_input(deps, order(deps, 1, NOW, None, history=False)) == old


def test_a_new_account_is_hours_old(deps: OrderDeps) -> None:
    profile(deps, created=NOW - timedelta(hours=6))
    assert fraud_input(deps, order(deps, 1, NOW, None, history=False)).account_age_days == pytest.approx(0.25)


def test_no_profile_reads_as_a_brand_new_account_with_no_country(deps: OrderDeps) -> None:
    txn = fraud_input(deps, order(deps, 1, NOW, None, history=False))
    assert (txn.account_age_days, txn.customer_country, txn.ip_country) == (0.0, None, None)


def test_customer_country_is_the_default_address_country(deps: OrderDeps) -> None:
    addresses: list[dict[str, Any]] = [
        {**ADDRESS, "id": "a1", "country": "FR"},
        {**ADDRESS, "id": "a2", "country": "DE", "isDefault": True},
    ]
    profile(deps, created=NOW - timedelta(days=30), addresses=addresses)
    txn = fraud_input(deps, order(deps, 1, NOW, None, history=False))
    assert (txn.customer_country, txn.shipping_country) == ("DE", "US")


def test_without_a_default_address_the_customer_country_is_unknown(deps: OrderDeps) -> None:
    profile(deps, created=NOW - timedelta(days=30), addresses=[{**ADDRESS, "id": "a1", "country": "FR"}])
    assert fraud_input(deps, order(deps, 1, NOW, None, history=False)).customer_country is None


def test_three_cards_in_the_last_hour_and_a_new_one(deps: OrderDeps) -> None:
    profile(deps, created=NOW - timedelta(days=2))
    visa, mastercard, debit, discover = (fingerprint(deps, n) for n in (VISA, MASTERCARD, DEBIT, DISCOVER))
    order(deps, 1, NOW - timedelta(days=1, hours=1), discover)  # outside both windows
    order(deps, 2, NOW - timedelta(hours=3), visa)
    order(deps, 3, NOW - timedelta(minutes=50), visa)
    order(deps, 4, NOW - timedelta(minutes=20), mastercard)
    order(deps, 9, NOW + timedelta(minutes=5), debit)  # later than the scored order: not history
    txn = fraud_input(deps, order(deps, 5, NOW, debit, history=False))
    assert (txn.distinct_cards_last_hour, txn.distinct_cards_last_day, txn.new_card) == (3, 3, True)
    assert (txn.prior_orders, txn.orders_last_hour, txn.orders_last_day) == (4, 2, 3)


def test_a_card_used_before_is_not_new(deps: OrderDeps) -> None:
    profile(deps, created=NOW - timedelta(days=2))
    visa, mastercard = fingerprint(deps, VISA), fingerprint(deps, MASTERCARD)
    order(deps, 1, NOW - timedelta(hours=5), mastercard)
    order(deps, 2, NOW - timedelta(minutes=30), visa)
    # Another token of the same card: the fingerprint, not the token, identifies the card.
    txn = fraud_input(deps, order(deps, 3, NOW, fingerprint(deps, MASTERCARD), history=False))
    assert (txn.distinct_cards_last_hour, txn.distinct_cards_last_day, txn.new_card) == (2, 2, False)


def test_a_first_order_is_on_a_new_card(deps: OrderDeps) -> None:
    txn = fraud_input(deps, order(deps, 1, NOW, fingerprint(deps, VISA), history=False))
    assert (txn.distinct_cards_last_hour, txn.distinct_cards_last_day, txn.new_card) == (1, 1, True)


def test_unknown_cards_count_for_nothing_and_never_make_a_card_new(deps: OrderDeps) -> None:
    visa, mastercard = fingerprint(deps, VISA), fingerprint(deps, MASTERCARD)
    order(deps, 1, NOW - timedelta(minutes=40), None)  # a token from before fingerprints
    order(deps, 2, NOW - timedelta(minutes=30), visa)
    known = fraud_input(deps, order(deps, 3, NOW, mastercard, history=False))
    assert (known.distinct_cards_last_hour, known.new_card) == (2, False)  # it may be the unknown one
    unknown = fraud_input(deps, order(deps, 4, NOW, None, history=False))
    assert (unknown.distinct_cards_last_hour, unknown.distinct_cards_last_day, unknown.new_card) == (
        1,
        1,
        False,
    )
