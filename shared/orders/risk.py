"""What the fraud scorer is told about an order: the amount, countries, the customer's profile and
recent history (from their order list projection) and the payment provider's risk signal.

Everything is computed relative to the order's own `createdAt`, never the clock, so scoring the
same order again (the monitoring trigger, a replayed activity) gives the same input. The history is
the customer's orders created strictly before this one, as the model was trained
(models/fraud/dataset.py): windows are inclusive (`t >= created - 1h`) and the distinct-card
counts include this order's card.

Cards are compared by the fingerprint the vault stores with each token (shared.payments.vault),
recorded on the order when it is placed. An order whose token predates fingerprints has an
unknown card: it adds nothing to the distinct counts, and while any earlier order's card is
unknown a known card cannot be called new (it may be that one), so `new_card` stays False.

`ip_country` stays None: the edge does not know the client IP (no trusted forwarding header is
configured), and the scorer then reads the card's country in its place.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.fraud.model import FraudInput
from shared.kernel.money import Money
from shared.ports.documents import Query
from shared.users.directory import find_profile

if TYPE_CHECKING:
    from shared.orders.deps import OrderDeps
    from shared.orders.model import OrderState

_SIGNALS = ("normal", "elevated", "highest", "blocked")
_MAX_AGE_DAYS = 36_500.0  # FraudInput's bound


def _when(value: Any) -> datetime:
    """An ISO timestamp as an aware datetime (a naive one is read as UTC)."""
    at = datetime.fromisoformat(str(value))
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _history(deps: OrderDeps, state: OrderState) -> list[dict[str, Any]]:
    created = _when(state.created_at)
    earlier = deps.stream.lists.query_all(Query(), partition_key=state.customer_id)
    return [o for o in earlier if o.get("id") != state.id and _when(o.get("createdAt")) < created]


def _profile_facts(deps: OrderDeps, state: OrderState) -> tuple[float, str | None]:
    """(account age in days at the order's time, the profile's default address country).

    Profiles are created on a customer's first authenticated request, so one exists for anyone who
    ordered; without one (deleted since) the account reads as brand new and its country unknown.
    """
    profile = find_profile(deps.store, state.customer_id)  # already a user id (never re-derive it)
    if profile is None:
        return 0.0, None
    age = 0.0
    if profile.get("createdAt"):
        seconds = (_when(state.created_at) - _when(profile["createdAt"])).total_seconds()
        age = min(max(seconds / 86_400, 0.0), _MAX_AGE_DAYS)
    country = None
    for address in profile.get("addresses") or []:
        code = str(address.get("country") or "").upper()
        if address.get("isDefault") and len(code) == 2 and code.isalpha():
            country = code
            break
    return age, country


def _cards(state: OrderState, history: list[dict[str, Any]]) -> tuple[int, int, bool]:
    """(distinct cards in the last hour, in the last day, is this card new to the customer)."""
    created = _when(state.created_at)
    mine = state.card_fingerprint

    def distinct(since: datetime) -> int:
        seen = {
            o["cardFingerprint"]
            for o in history
            if o.get("cardFingerprint") and _when(o["createdAt"]) >= since
        }
        return len(seen | {mine}) if mine else max(len(seen), 1)

    known = {o["cardFingerprint"] for o in history if o.get("cardFingerprint")}
    any_unknown = any(not o.get("cardFingerprint") for o in history)
    new_card = bool(mine) and mine not in known and not any_unknown
    return distinct(created - timedelta(hours=1)), distinct(created - timedelta(days=1)), new_card


def fraud_input(deps: OrderDeps, state: OrderState) -> FraudInput:
    created = _when(state.created_at)
    history = _history(deps, state)
    times = [_when(o["createdAt"]) for o in history]
    same_currency = [
        Money.model_validate(o["total"]).amount
        for o in history
        if o.get("total", {}).get("currency") == state.currency
    ]
    usual = (
        Money.rounded(sum(same_currency, Decimal(0)) / len(same_currency), state.currency)
        if same_currency
        else None
    )
    country = str(state.shipping_address.get("country") or "US")
    age, home = _profile_facts(deps, state)
    cards_hour, cards_day, new_card = _cards(state, history)
    return FraudInput(
        order_id=state.id,
        customer_id=state.customer_id,
        amount=state.total,
        item_count=sum(item.quantity for item in state.items),
        # The sandbox cards carry no issuing country: read the card as domestic to the shipping address.
        card_country=country,
        shipping_country=country,
        customer_country=home,
        ip_country=None,  # unknown at the edge (see the module docstring)
        account_age_days=age,
        prior_orders=len(history),
        orders_last_hour=sum(t >= created - timedelta(hours=1) for t in times),
        orders_last_day=sum(t >= created - timedelta(days=1) for t in times),
        distinct_cards_last_hour=cards_hour,
        distinct_cards_last_day=cards_day,
        new_card=new_card,
        usual_amount=usual,
        provider_signal=state.risk_signal if state.risk_signal in _SIGNALS else "normal",  # type: ignore[arg-type]
    )
