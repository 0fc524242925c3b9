"""Payments HTTP triggers: card tokenization, reading a payment, and the sandbox ledger (dev only)."""

from __future__ import annotations

from typing import Any

import azure.functions as func
from pydantic import Field

from shared.composition import get_document_store, get_payment_service
from shared.http import Api, RequestContext, Response
from shared.kernel.money import Money
from shared.kernel.schema import ApiModel
from shared.payments.sandbox import list_charges, sandbox_container

bp = func.Blueprint()
api = Api(bp, tag="payments")


class TokenRequest(ApiModel):
    # Lengths only here: Luhn/expiry/CVC are checked by the vault so its messages never echo input.
    # The pattern only documents what cards.normalize_number accepts (12-19 digits, spaces or
    # dashes between them); the vault still checks, so a bad number keeps its `invalid_card` code.
    card_number: str = Field(
        min_length=12, max_length=23, json_schema_extra={"pattern": r"^(?:[0-9][ -]?){11,18}[0-9]$"}
    )
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100)
    cvc: str = Field(min_length=3, max_length=4)
    holder_name: str = Field(min_length=1, max_length=200)


class TokenPublic(ApiModel):
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class TokensPublic(ApiModel):
    items: list[TokenPublic]
    continuation_token: str | None = None


class PaymentPublic(ApiModel):
    id: str
    order_id: str
    provider: str | None
    status: str
    amount: Money
    refunded_amount: Money
    last4: str


class ChargesQuery(ApiModel):
    order_id: str | None = Field(None, max_length=200)


class SandboxCharge(ApiModel):
    provider: str
    operation: str
    order_id: str
    amount: Money | None
    idempotency_key: str
    at: str
    outcome: str | None = None
    reference: str | None = None


class SandboxCharges(ApiModel):
    items: list[SandboxCharge]


@api.route(
    "payments/tokens",
    methods=["POST"],
    auth="authenticated",
    body=TokenRequest,
    response=TokenPublic,
    status=201,
    summary="Tokenize a card (the number and CVC are never stored in clear)",
)
def create_token(ctx: RequestContext) -> Response:
    request = ctx.body_as(TokenRequest)
    principal = ctx.require_principal()
    public = get_payment_service().vault.tokenize(
        owner_id=principal.user_id,
        number=request.card_number,
        exp_month=request.exp_month,
        exp_year=request.exp_year,
        cvc=request.cvc,
        holder_name=request.holder_name,
    )
    return Response(TokenPublic.model_validate(public), status=201)


@api.route(
    "payments/tokens",
    methods=["GET"],
    auth="authenticated",
    response=TokensPublic,
    summary="Your saved cards: token, brand, last4 and expiry only",
)
def list_tokens(ctx: RequestContext) -> TokensPublic:
    items = get_payment_service().vault.list_tokens(ctx.require_principal().user_id)
    return TokensPublic.model_validate({"items": items})


@api.route(
    "payments/tokens/{token}",
    methods=["DELETE"],
    auth="authenticated",
    status=204,
    summary="Delete one of your saved cards (another customer's token is a 404)",
)
def delete_token(ctx: RequestContext) -> None:
    get_payment_service().vault.delete_token(ctx.route["token"], ctx.require_principal().user_id)


@api.route(
    "payments/{paymentId}",
    methods=["GET"],
    auth="authenticated",
    response=PaymentPublic,
    response_headers=("ETag",),
    summary="A payment (its owner, support or admin), with its ETag",
)
def get_payment(ctx: RequestContext) -> Response:
    payment = get_payment_service().get(ctx.route["paymentId"], ctx.require_principal())
    # The ledger's version moves with every entry (captured, refunded...): a strong validator.
    etag = f'"{payment.id}.{payment.version}"'
    return Response(PaymentPublic.model_validate(payment.model_dump()), headers={"ETag": etag})


@api.route(
    "dev/sandbox/charges",
    methods=["GET"],
    auth=("admin",),
    query=ChargesQuery,
    response=SandboxCharges,
    dev_only=True,
    summary="What the sandbox providers were asked to do (development only)",
)
def sandbox_charges(ctx: RequestContext) -> dict[str, Any]:
    query = ctx.query_as(ChargesQuery)
    return {"items": list_charges(sandbox_container(get_document_store()), query.order_id)}
