"""Sales history: order events counted once, refunds net out, admin import all-or-nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.kernel.errors import ValidationFailed
from shared.messaging.events import CloudEvent
from shared.sales import service
from shared.sales.events import entries_of
from shared.sales.ports import DailySales


def _order_event(type_: str, sku: str, quantity: int, line_total: str, **extra: Any) -> CloudEvent:
    order = {
        "id": "o-1",
        "status": extra.pop("status", "confirmed"),
        "createdAt": "2025-03-04T10:00:00+00:00",
        "items": [{"sku": sku, "quantity": quantity, "lineTotal": {"amount": line_total, "currency": "USD"}}],
    }
    return CloudEvent(
        id=extra.pop("id", f"evt-{type_}"),
        source="smartcommerce.orders",
        type=type_,
        time=datetime(2025, 3, 5, tzinfo=UTC),
        data={"orderId": "o-1", "order": order, **extra},
    )


def _day(days: list[DailySales], d: date) -> DailySales:
    return next(x for x in days if x.day == d)


def test_a_confirmed_order_counts_once_however_often_it_is_delivered(store, make_product) -> None:
    sku = make_product().sku
    event = _order_event("OrderConfirmed", sku, 3, "30.00")
    assert service.record_order_event(event, store=store) == 1
    assert service.record_order_event(event, store=store) == 0
    # Even with the inbox marker lost (crash after the write), the entry is not counted twice.
    assert service.ledger(store).record_event(event.id, entries_of(event)) == 0
    (day,) = service.daily_series(sku, store=store)
    assert (day.day, day.units, day.price) == (date(2025, 3, 4), 3, 10.0)


def test_refunds_net_out_on_the_day_of_the_sale(store, make_product) -> None:
    sku = make_product().sku
    service.record_order_event(_order_event("OrderConfirmed", sku, 2, "40.00"), store=store)
    partial = _order_event(
        "OrderRefunded", sku, 2, "40.00", id="r1", refund={"amount": "10.00", "currency": "USD"}
    )
    service.record_order_event(partial, store=store)
    day = _day(service.daily_series(sku, store=store), date(2025, 3, 4))
    assert (day.units, day.price) == (2, 15.0)  # 30 kept for 2 units
    full = _order_event(
        "OrderRefunded",
        sku,
        2,
        "40.00",
        id="r2",
        status="refunded",
        refund={"amount": "30.00", "currency": "USD"},
    )
    service.record_order_event(full, store=store)
    day = _day(service.daily_series(sku, store=store), date(2025, 3, 4))
    assert day.units == 0


def test_events_that_are_not_sales_change_nothing(store, make_product) -> None:
    sku = make_product().sku
    assert service.record_order_event(_order_event("OrderShipped", sku, 1, "10.00"), store=store) == 0
    assert service.daily_series(sku, store=store) == []


def test_import_csv_and_json_lines_fill_missing_days(store, make_product) -> None:
    a, b = make_product().sku, make_product().sku
    csv = f"sku,date,units,price,promo\n{a},2025-01-01,4,9.50,0\n{a},2025-01-03,2,10.00,1\n".encode()
    result = service.import_sales(csv, store=store)
    assert result == {"imported": 2, "skus": 1, "firstDate": "2025-01-01", "lastDate": "2025-01-03"}
    days = service.daily_series(a, store=store)
    assert [(d.units, d.price, d.promo) for d in days] == [(4, 9.5, 0.0), (0, 9.5, 0.0), (2, 10.0, 1.0)]
    lines = f'{{"sku": "{b}", "date": "2025-02-01", "units": 0, "price": 12.5}}\n'.encode()
    assert service.import_sales(lines, store=store)["imported"] == 1
    assert [(d.units, d.price) for d in service.daily_series(b, store=store)] == [(0, 12.5)]
    # Re-importing a day replaces it (an import is idempotent).
    service.import_sales(f"{a},2025-01-01,5,9.00,0\n".encode(), store=store)
    assert service.daily_series(a, store=store)[0].units == 5


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("{sku},2025-13-01,1,9.5,0", "date"),
        ("{sku},2025-01-01,-1,9.5,0", "units"),
        ("{sku},2025-01-01,1.5,9.5,0", "units"),
        ("{sku},2025-01-01,1,0,0", "price"),
        ("{sku},2025-01-01,1,nan,0", "price"),
        ("{sku},2025-01-01,1,9.5,7", "promo"),
        ("NOPE-1,2025-01-01,1,9.5,0", "sku"),
        ("{sku},2999-01-01,1,9.5,0", "date"),
    ],
)
def test_a_bad_row_is_listed_and_nothing_is_stored(store, make_product, row: str, field: str) -> None:
    sku = make_product().sku
    body = f"sku,date,units,price,promo\n{sku},2025-01-02,3,9.5,0\n{row.format(sku=sku)}\n".encode()
    with pytest.raises(ValidationFailed) as caught:
        service.import_sales(body, store=store)
    assert caught.value.status == 422
    assert [e["field"] for e in caught.value.errors] == [f"rows[1].{field}"]
    assert "line 3" in caught.value.errors[0]["message"]
    assert service.daily_series(sku, store=store) == []  # the good row was not stored either


def test_every_bad_row_is_listed_and_duplicates_are_refused(store, make_product) -> None:
    sku = make_product().sku
    lines = [f"{sku},2025-01-01,1,9.5,0", f"{sku},2025-01-01,2,9.5,0", "not,a,row", '{"sku": 1}']
    with pytest.raises(ValidationFailed) as caught:
        service.import_sales("\n".join(lines).encode(), store=store)
    fields = {e["field"].split(".")[0] for e in caught.value.errors}
    assert fields == {"rows[1]", "rows[2]", "rows[3]"}


def test_json_lines_that_are_not_objects_are_listed(store, make_product) -> None:
    sku = make_product().sku
    body = f'{{"sku": "{sku}", "date": "2025-01-01", "units": 1, "price": 2}}\n[1, 2]\n'.encode()
    with pytest.raises(ValidationFailed) as caught:
        service.import_sales(body, store=store)
    assert caught.value.errors[0]["field"] == "rows[1]"


def test_an_empty_import_is_refused(store) -> None:
    with pytest.raises(ValidationFailed):
        service.import_sales(b"\n \n", store=store)


def test_filled_series_reaches_the_requested_day(store, make_product) -> None:
    sku = make_product().sku
    service.import_sales(f"{sku},2025-01-01,4,9.50,0\n".encode(), store=store)
    days = service.daily_series(sku, store=store, until=date(2025, 1, 1) + timedelta(days=3))
    assert [d.units for d in days] == [4, 0, 0, 0]
