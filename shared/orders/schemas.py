"""Request and response models of the orders API (camelCase on the wire)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from shared.kernel.money import Money
from shared.kernel.schema import ApiModel, ListQuery
from shared.orders.model import Order, OrderStatus, RefundRequestPublic
from shared.users.schemas import AddressIn

SKU = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class OrderLineIn(ApiModel):
    sku: str = Field(pattern=SKU)
    quantity: int = Field(ge=1, le=1000)


class PlaceOrder(ApiModel):
    items: list[OrderLineIn] = Field(min_length=1, max_length=100)
    shipping_address_id: str | None = Field(None, min_length=1, max_length=64)
    shipping_address: AddressIn | None = None
    payment_token: str = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_address(self) -> PlaceOrder:
        if (self.shipping_address_id is None) == (self.shipping_address is None):
            raise ValueError("give exactly one of shippingAddressId and shippingAddress")
        return self


class OrderAccepted(ApiModel):
    order_id: str
    status: OrderStatus


class OrdersPage(ApiModel):
    items: list[Order]
    continuation_token: str | None = None


class OrderListQuery(ListQuery):
    status: OrderStatus | None = None


class OrderEventPublic(ApiModel):
    sequence: int
    type: str
    at: str
    data: dict[str, Any]


class OrderEvents(ApiModel):
    items: list[OrderEventPublic]


class ReviewDecision(ApiModel):
    decision: Literal["approve", "reject"]
    note: str | None = Field(None, max_length=1000)


class RefundRequest(ApiModel):
    amount: Money | None = None
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("amount")
    @classmethod
    def _positive(cls, amount: Money | None) -> Money | None:
        # A zero refund is malformed input (422), not a refund beyond the captured amount (409).
        if amount is not None and amount.is_zero():
            raise ValueError("must be greater than zero (leave it out to refund the rest)")
        return amount


class RefundResult(ApiModel):
    refund_id: str
    amount: Money
    status: str


class ShipRequest(ApiModel):
    """Body of `POST /orders/{orderId}/ship` (optional: an order may ship untracked)."""

    carrier: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    tracking_number: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$")


class RefundRequestIn(ApiModel):
    """Body of `POST /orders/{orderId}/refund-requests` (the customer asks; staff decide)."""

    amount: Money | None = None
    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+$")

    @field_validator("amount")
    @classmethod
    def _positive(cls, amount: Money | None) -> Money | None:
        if amount is not None and amount.is_zero():
            raise ValueError("must be greater than zero (leave it out to ask for the rest)")
        return amount


class RefundRequestDecisionIn(ApiModel):
    """Body of `.../refund-requests/{requestId}/approve` and `/reject`."""

    note: str | None = Field(None, max_length=1000)


class RefundRequestsPage(ApiModel):
    items: list[RefundRequestPublic]
    continuation_token: str | None = None
