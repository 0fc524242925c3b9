"""The payments HTTP triggers through the edge pipeline (real SQLite store in a temp data dir)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from functions import payments
from shared import composition as bootstrap
from shared.http.auth import mint_dev_token
from shared.kernel.money import Money
from tests.unit.edge_support import problem, request, use_env, use_production

CARD = {
    "cardNumber": "4242 4242 4242 4242",
    "expMonth": 12,
    "expYear": 2031,
    "cvc": "123",
    "holderName": "Ada",
}


@pytest.fixture(autouse=True)
def dev(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    use_env(monkeypatch, tmp_path)
    bootstrap.reset()
    yield
    bootstrap.reset()


def call(name: str, req: func.HttpRequest) -> func.HttpResponse:
    info = next(info for info in payments.api.routes if info.function_name == name)
    response: func.HttpResponse = info.wrapper(req)
    return response


def token(sub: str, *roles: str) -> str:
    return mint_dev_token(sub, roles)[0]


def body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def test_tokenize_returns_only_the_public_view(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    response = call(
        "create_token", request("POST", "/api/payments/tokens", body=CARD, token=token("c1", "customer"))
    )
    assert response.status_code == 201
    data = body(response)
    assert set(data) == {"token", "brand", "last4", "expMonth", "expYear"}
    assert (data["brand"], data["last4"]) == ("visa", "4242")
    assert "4242424242424242" not in caplog.text and "4242 4242 4242 4242" not in caplog.text


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"cardNumber": "4242424242424241"}, "cardNumber", "invalid_card"),
        ({"expYear": 2020}, "expYear", "card_expired"),
        ({"cvc": "12"}, "cvc", "validation_failed"),
    ],
)
def test_bad_cards_are_422_without_echo(
    change: dict[str, Any], field: str, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    req = request("POST", "/api/payments/tokens", body={**CARD, **change}, token=token("c1", "customer"))
    response = call("create_token", req)
    data = problem(response)
    assert response.status_code == 422 and data["code"] == code
    assert [e["field"] for e in data["errors"]] == [field]
    assert "4242424242424241" not in response.get_body().decode() + caplog.text


def test_tokenize_needs_a_token() -> None:
    assert call("create_token", request("POST", "/api/payments/tokens", body=CARD)).status_code == 401


def test_get_payment_owner_staff_and_others() -> None:
    tok = body(
        call(
            "create_token", request("POST", "/api/payments/tokens", body=CARD, token=token("c1", "customer"))
        )
    )
    bootstrap.get_payment_service().authorize(
        order_id="o1", customer_id="c1", token=tok["token"], amount=Money.of("12.50", "USD")
    )
    req = request(
        "GET", "/api/payments/pay_o1", route_params={"paymentId": "pay_o1"}, token=token("c1", "customer")
    )
    data = body(call("get_payment", req))
    assert data == {
        "id": "pay_o1",
        "orderId": "o1",
        "provider": "sandbox",
        "status": "authorized",
        "amount": {"amount": "12.50", "currency": "USD"},
        "refundedAmount": {"amount": "0.00", "currency": "USD"},
        "last4": "4242",
    }
    req = request(
        "GET", "/api/payments/pay_o1", route_params={"paymentId": "pay_o1"}, token=token("s", "support")
    )
    assert call("get_payment", req).status_code == 200
    req = request(
        "GET", "/api/payments/pay_o1", route_params={"paymentId": "pay_o1"}, token=token("c2", "customer")
    )
    assert problem(call("get_payment", req))["status"] == 404


def test_sandbox_charges_admin_only_and_filtered() -> None:
    tok = body(
        call(
            "create_token", request("POST", "/api/payments/tokens", body=CARD, token=token("c1", "customer"))
        )
    )
    service = bootstrap.get_payment_service()
    for order in ("o1", "o2"):
        service.authorize(
            order_id=order, customer_id="c1", token=tok["token"], amount=Money.of("1.00", "USD")
        )
    admin = token("a", "admin")
    items = body(call("sandbox_charges", request("GET", "/api/dev/sandbox/charges", token=admin)))["items"]
    assert {i["orderId"] for i in items} == {"o1", "o2"}
    req = request("GET", "/api/dev/sandbox/charges", params={"orderId": "o2"}, token=admin)
    items = body(call("sandbox_charges", req))["items"]
    assert [(i["orderId"], i["operation"], i["idempotencyKey"]) for i in items] == [
        ("o2", "authorize", "o2:authorize")
    ]
    assert {"provider", "operation", "orderId", "amount", "idempotencyKey", "at"} <= set(items[0])
    req = request("GET", "/api/dev/sandbox/charges", token=token("c1", "customer"))
    assert call("sandbox_charges", req).status_code == 403


def test_sandbox_charges_404_outside_development(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_production(monkeypatch, tmp_path)
    response = call("sandbox_charges", request("GET", "/api/dev/sandbox/charges"))
    assert response.status_code == 404
