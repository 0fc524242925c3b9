"""The payment document (a projection of the payment's ledger) and the payments events.

One payment per order, id `pay_<orderId>`, kept in the order's partition of the `payments`
container beside its ledger entries, so an entry, the new projection and its event commit in one
transactional batch. `apply` is the projection: pure, so it can be replayed from the ledger.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.kernel.money import Money
from shared.kernel.schema import ApiModel
from shared.messaging.events import register_event

PaymentStatus = Literal[
    "pending", "authorized", "captured", "voided", "declined", "failed", "refunded", "partially_refunded"
]
EntryKind = Literal[
    "authorized", "failed", "captured", "voided", "refund_requested", "refund_failed", "refunded"
]


def payment_id_for(order_id: str) -> str:
    return f"pay_{order_id}"


def order_id_of(payment_id: str) -> str | None:
    return payment_id[4:] if payment_id.startswith("pay_") and len(payment_id) > 4 else None


class RefundRecord(ApiModel):
    refund_id: str
    amount: Money
    reason: str = ""
    at: str


class Payment(ApiModel):
    id: str
    order_id: str
    customer_id: str
    provider: str | None = None
    authorization_id: str | None = None
    status: PaymentStatus = "pending"
    amount: Money
    captured_amount: Money
    refunded_amount: Money
    last4: str
    brand: str = "unknown"
    risk_signal: str = "normal"
    failure_code: str | None = None
    refunds: list[RefundRecord] = Field(default_factory=list)
    # Refunds recorded before the provider call: they count against the refundable amount, so two
    # concurrent refunds cannot together exceed what was captured.
    pending_refunds: list[RefundRecord] = Field(default_factory=list)
    version: int = 0
    created_at: str
    updated_at: str

    def refundable(self) -> Money:
        pending = Money.total((r.amount for r in self.pending_refunds), self.captured_amount.currency)
        return self.captured_amount - self.refunded_amount - pending

    def pending_refund(self, refund_id: str) -> RefundRecord | None:
        return next((r for r in self.pending_refunds if r.refund_id == refund_id), None)

    def refund(self, refund_id: str) -> RefundRecord | None:
        return next((r for r in self.refunds if r.refund_id == refund_id), None)


def apply(payment: Payment, kind: EntryKind, data: dict[str, Any], at: str) -> Payment:
    """The payment after one ledger entry."""
    update: dict[str, Any] = {"version": payment.version + 1, "updated_at": at}
    if kind == "authorized":
        update |= {
            "status": "authorized",
            "provider": data["provider"],
            "authorization_id": data["authorizationId"],
            "risk_signal": data.get("riskSignal", "normal"),
        }
    elif kind == "failed":
        update |= {
            "status": data["status"],
            "failure_code": data.get("code"),
            "provider": data.get("provider"),
        }
    elif kind == "captured":
        update |= {"status": "captured", "captured_amount": Money.model_validate(data["amount"])}
    elif kind == "voided":
        update |= {"status": "voided"}
    elif kind == "refund_requested":
        update |= {"pending_refunds": [*payment.pending_refunds, RefundRecord.model_validate(data)]}
    elif kind == "refund_failed":
        update |= {"pending_refunds": [r for r in payment.pending_refunds if r.refund_id != data["refundId"]]}
    elif kind == "refunded":
        record = RefundRecord.model_validate(data)
        update["pending_refunds"] = [r for r in payment.pending_refunds if r.refund_id != record.refund_id]
        refunded = payment.refunded_amount + record.amount
        fully = refunded >= payment.captured_amount
        update |= {
            "refunded_amount": refunded,
            "refunds": [*payment.refunds, record],
            "status": "refunded" if fully else "partially_refunded",
        }
    return payment.model_copy(update=update)


# --- events (CloudEvents data; never a card number: last4 at most) ------------------------------


# Fraud scores PaymentAuthorized again for monitoring (functions/fraud_monitoring.py).
@register_event("PaymentAuthorized", producer="payments", consumers=["orders", "fraud"])
class PaymentAuthorized(ApiModel):
    """The provider holds the order's amount on the card."""

    payment_id: str
    order_id: str
    amount: Money
    provider: str


@register_event("PaymentCaptured", producer="payments", consumers=["orders", "notifications"])
class PaymentCaptured(ApiModel):
    """The held amount was taken."""

    payment_id: str
    order_id: str
    amount: Money


@register_event("PaymentFailed", producer="payments", consumers=["orders"])
class PaymentFailed(ApiModel):
    """Declined by the issuer (`declined`) or no provider could process it (`failed`)."""

    payment_id: str
    order_id: str
    status: str
    code: str | None = None


@register_event("PaymentVoided", producer="payments", consumers=["orders"])
class PaymentVoided(ApiModel):
    """The authorization was dropped without taking money."""

    payment_id: str
    order_id: str


@register_event("PaymentRefunded", producer="payments", consumers=["orders", "notifications"])
class PaymentRefunded(ApiModel):
    """Money went back to the card (part or all of the captured amount)."""

    payment_id: str
    order_id: str
    refund_id: str
    amount: Money
    refunded_amount: Money
