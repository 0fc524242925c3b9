"""GET /api/fraud/reviews and POST /api/fraud/chargebacks through the HTTP edge, over real orders."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

from functions import fraud
from shared.http.auth import mint_dev_token
from shared.orders.fraud_labels import labelled_rows
from tests.integration.orders.harness import HIGHEST
from tests.unit.edge_support import problem, request
from tests.unit.fraud.orders_world import World


def call(path: str, method: str, roles: list[str], body: Any = None, **params: str) -> func.HttpResponse:
    route = next(r for r in fraud.api.routes if r.path == path.removeprefix("/api/") and method in r.methods)
    token = mint_dev_token("agent-1", roles)[0]
    response: func.HttpResponse = route.wrapper(
        request(method, path, body=body, token=token, params=params or None)
    )
    return response


def test_the_review_queue_lists_orders_awaiting_review_only(world: World) -> None:
    waiting = world.waiting()
    confirmed = world.order()
    response = call("/api/fraud/reviews", "GET", ["support"])
    assert response.status_code == 200, response.get_body()
    ids = [o["id"] for o in json.loads(response.get_body())["items"]]
    assert waiting in ids and confirmed not in ids
    item = json.loads(response.get_body())["items"][0]
    assert item["status"] == "awaiting_review" and item["fraud"]["decision"] == "review"
    assert call("/api/fraud/reviews", "GET", ["customer"]).status_code == 403
    assert call("/api/fraud/reviews", "GET", ["admin"], limit="0").status_code == 422


def test_a_chargeback_becomes_a_fraud_label(world: World) -> None:
    order_id = world.order(card=HIGHEST, review="approve")
    body = {"orderId": order_id, "reason": "cardholder disputes the charge"}
    first = call("/api/fraud/chargebacks", "POST", ["admin"], body)
    assert first.status_code == 201, first.get_body()
    label = json.loads(first.get_body())
    assert label["orderId"] == order_id and label["isFraud"] is True and label["source"] == "chargeback"
    assert call("/api/fraud/chargebacks", "POST", ["admin"], body).status_code == 200  # repeated: same label
    assert [row["is_fraud"] for row in labelled_rows(world.deps.store)] == [1]
    assert call("/api/fraud/chargebacks", "POST", ["support"], body).status_code == 403
    missing = call("/api/fraud/chargebacks", "POST", ["admin"], {"orderId": "ord_x", "reason": "r"})
    assert missing.status_code == 404 and problem(missing)["code"]
    invalid = call("/api/fraud/chargebacks", "POST", ["admin"], {"orderId": order_id})
    assert invalid.status_code == 422
    assert any(e["field"] == "reason" for e in problem(invalid)["errors"])


def test_charging_back_an_order_never_charged_is_a_conflict(world: World) -> None:
    waiting = world.waiting()  # authorized (a hold), never captured
    response = call("/api/fraud/chargebacks", "POST", ["admin"], {"orderId": waiting, "reason": "r"})
    assert response.status_code == 409 and problem(response)["code"] == "not_charged"
