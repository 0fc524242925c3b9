"""Bodies and responses of the fraud context's admin routes (reviews queue, chargebacks)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.kernel.schema import ApiModel


class ChargebackIn(ApiModel):
    order_id: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)


class FraudLabelPublic(ApiModel):
    """A label for retraining: what a person (review) or the bank (chargeback) said about an order."""

    order_id: str
    is_fraud: bool
    source: Literal["review", "chargeback"]
    reason: str | None = None
    labelled_at: str

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> FraudLabelPublic:
        return cls(
            order_id=doc["orderId"],
            is_fraud=bool(doc["isFraud"]),
            source=doc["source"],
            reason=doc.get("reason"),
            labelled_at=doc["labelledAt"],
        )
