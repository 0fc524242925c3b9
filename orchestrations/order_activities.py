"""The order workflow's activities: thin wrappers over `shared.orders.steps` (plain JSON in/out).

Each takes `{"orderId", ...}`; idempotency comes from the steps (keyed by order id and step), so
the host may run an activity more than once after a crash or a retry.

The input is annotated plain `dict`: the Python worker refuses a parameterized builtin such as
`dict[str, Any]` on a binding ("invalid non-type annotation") and then loads no function of the
app at all; `python -m devhost check` and tests/conformance run the worker's own indexing.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.composition import get_order_deps
from shared.orders import steps
from shared.orders.compensation import compensate

bp = df.Blueprint()


@bp.activity_trigger(input_name="payload")
def order_reserve_inventory(payload: dict) -> dict[str, Any]:
    return steps.reserve(get_order_deps(), payload["orderId"])


@bp.activity_trigger(input_name="payload")
def order_authorize_payment(payload: dict) -> dict[str, Any]:
    return steps.authorize(get_order_deps(), payload["orderId"])


@bp.activity_trigger(input_name="payload")
def order_fraud_check(payload: dict) -> dict[str, Any]:
    return steps.fraud_check(get_order_deps(), payload["orderId"])


@bp.activity_trigger(input_name="payload")
def order_extend_reservation(payload: dict) -> dict[str, Any]:
    return steps.extend_for_review(get_order_deps(), payload["orderId"], payload["reviewUntil"])


@bp.activity_trigger(input_name="payload")
def order_record_review(payload: dict) -> dict[str, Any]:
    return steps.record_review(get_order_deps(), payload["orderId"], payload.get("review") or {})


@bp.activity_trigger(input_name="payload")
def order_capture_payment(payload: dict) -> dict[str, Any]:
    return steps.capture(get_order_deps(), payload["orderId"])


@bp.activity_trigger(input_name="payload")
def order_confirm(payload: dict) -> dict[str, Any]:
    return steps.confirm(get_order_deps(), payload["orderId"])


@bp.activity_trigger(input_name="payload")
def order_notify(payload: dict) -> dict[str, Any]:
    return steps.notify(get_order_deps(), payload["orderId"], payload["kind"])


@bp.activity_trigger(input_name="payload")
def order_compensate(payload: dict) -> dict[str, Any]:
    status = compensate(get_order_deps(), payload["orderId"], payload["final"], payload["reason"])
    return {"status": status}
