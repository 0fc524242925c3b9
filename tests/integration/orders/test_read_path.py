"""The order read path's memos (round 4, docs/performance.md): the state an append writes is
remembered under the head's new ETag, so the next step and the clients' polls do not validate the
head again; and what a client sees of a state (the public order, its JSON and ETag) is made once
per state. Both must give exactly what reading and computing afresh gives."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from shared.kernel.frozen import frozen_json
from shared.kernel.identity import Principal
from shared.kernel.money import Money
from shared.orders import service, steps
from shared.orders.deps import OrderDeps
from shared.orders.model import OrderState, order_etag, public_view
from shared.orders.schemas import RefundRequest, ShipRequest
from shared.orders.service import place_order
from shared.orders.stream import OrderStream
from tests.integration.orders.harness import CUSTOMER, order_body, seed_product

STAFF = Principal(sub="staff-1", roles=("admin",), email="staff@example.com")


def _afresh(deps: OrderDeps, order_id: str) -> OrderState:
    """The state a process that never saw the order validates from its head."""
    loaded = OrderStream(deps.store).load(order_id)
    assert loaded is not None
    return loaded.state


def test_every_appended_state_is_remembered_as_its_head_validates(deps: OrderDeps) -> None:
    seed_product(deps, "SKU-RP1", on_hand=5)
    order_id = place_order(deps, CUSTOMER, order_body(deps, "SKU-RP1", quantity=2), None).order_id
    actions: list[Callable[[], object]] = [
        lambda: steps.reserve(deps, order_id),  # reserve, authorize, fraud check: one append
        lambda: steps.capture(deps, order_id),
        lambda: steps.confirm(deps, order_id),
        lambda: service.ship_order(deps, order_id, ShipRequest(carrier="DHL", tracking_number="T 1")),
        lambda: service.refund_order(
            deps, order_id, STAFF, RefundRequest(amount=Money.of("5.00", "USD"), reason="dented"), "k1"
        ),
        lambda: service.request_cancel(deps, order_id, STAFF),
    ]
    versions = []
    for action in actions:
        action()
        remembered = deps.stream._states[order_id][1]
        loaded = deps.stream.load(order_id)
        assert loaded is not None and loaded.state is remembered  # no second validation
        assert remembered == _afresh(deps, order_id)
        versions.append(remembered.version)
    assert versions == sorted(set(versions))  # each action appended
    assert _afresh(deps, order_id).status == "cancelled"


def test_a_states_public_order_its_json_and_etag_are_made_once_and_as_before(deps: OrderDeps) -> None:
    seed_product(deps, "SKU-RP2", on_hand=5)
    order_id = place_order(deps, CUSTOMER, order_body(deps, "SKU-RP2"), None).order_id
    state = service.get_order(deps, order_id, CUSTOMER)
    order, etag = public_view(state)
    assert (
        public_view(state)[0] is order
        and public_view(service.get_order(deps, order_id, CUSTOMER))[0] is order
    )
    # What GET sent before: the public order's JSON, and the digest of it without updatedAt.
    assert frozen_json(order) == state.public().model_dump_json(by_alias=True).encode()
    view = state.public().model_dump(mode="json", by_alias=True, exclude={"updated_at"})
    digest = hashlib.sha256(json.dumps(view, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert etag == order_etag(state) == f'W/"{digest[:24]}"'

    steps.reserve(deps, order_id)  # authorized too: the payment shows, a new state, a new view
    later = service.get_order(deps, order_id, CUSTOMER)
    order2, etag2 = public_view(later)
    assert order2 is not order and etag2 != etag
    assert json.loads(frozen_json(order2) or b"")["payment"]["status"] == "authorized"
