"""What the fraud scorer is told about an order: the amount, countries, the customer's recent
history (from their order list projection) and the payment provider's risk signal."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.fraud.model import FraudInput
from shared.money import Money
from shared.ports.documents import Query

if TYPE_CHECKING:
    from shared.orders.deps import OrderDeps
    from shared.orders.model import OrderState

_SIGNALS = ("normal", "elevated", "highest", "blocked")


def _history(deps: OrderDeps, state: OrderState) -> list[dict[str, Any]]:
    earlier = deps.stream.lists.query_all(Query(), partition_key=state.customer_id)
    return [o for o in earlier if o.get("id") != state.id and str(o.get("createdAt", "")) < state.created_at]


def fraud_input(deps: OrderDeps, state: OrderState) -> FraudInput:
    created = datetime.fromisoformat(state.created_at)
    history = _history(deps, state)
    times = [datetime.fromisoformat(str(o["createdAt"])) for o in history]
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
    return FraudInput(
        order_id=state.id,
        customer_id=state.customer_id,
        amount=state.total,
        item_count=sum(item.quantity for item in state.items),
        # The sandbox cards carry no issuing country: read the card as domestic to the shipping address.
        card_country=country,
        shipping_country=country,
        prior_orders=len(history),
        orders_last_hour=sum(t >= created - timedelta(hours=1) for t in times),
        orders_last_day=sum(t >= created - timedelta(days=1) for t in times),
        usual_amount=usual,
        provider_signal=state.risk_signal if state.risk_signal in _SIGNALS else "normal",  # type: ignore[arg-type]
    )
