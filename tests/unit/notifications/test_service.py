from __future__ import annotations

import json

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.http.auth import Principal
from shared.kernel.errors import ValidationFailed
from shared.notifications import service
from shared.notifications.triggers import parse_message
from shared.settings import Settings
from shared.users.schemas import Channels, Preferences
from shared.users.service import ensure_profile, forget_known_users, set_preferences, set_roles
from tests.unit.notifications.conftest import ScriptedChannel

SETTINGS = Settings.model_validate({"NOTIFY_MAX_ATTEMPTS": 2, "NOTIFY_RETRY_BASE_SECONDS": 0})


def _profile(store: SqliteDocumentStore, sub: str, *, phone: bool = False) -> None:
    forget_known_users()
    ensure_profile(Principal(sub, ("customer",), email=f"{sub}@example.com", name=sub.title()), store=store)
    if phone:
        doc = store.container("users", "/userId").read(sub, sub)
        store.container("users", "/userId").replace({**doc, "phone": "+15550100"})


def _confirmation(event_id: str, user: str) -> bytes:
    order = {
        "id": "ord-1",
        "customerId": user,
        "currency": "USD",
        "total": {"amount": "9.99", "currency": "USD"},
        "items": [{"sku": "S", "name": "Tea <b>", "quantity": 1, "lineTotal": {"amount": "9.99"}}],
    }
    return json.dumps(
        {
            "commandId": event_id,
            "type": "SendOrderConfirmation",
            "data": {"orderId": "ord-1", "customerId": user, "order": order},
        }
    ).encode()


def test_a_confirmation_goes_out_on_every_channel_the_user_allows(
    store: SqliteDocumentStore, channels: dict[str, ScriptedChannel]
) -> None:
    _profile(store, "ada", phone=True)
    records = service.notify(
        parse_message(_confirmation("c-1", "ada")), store=store, channels=channels, settings=SETTINGS
    )
    assert sorted((r["channel"], r["status"]) for r in records) == [
        ("email", "sent"),
        ("push", "sent"),
        ("sms", "sent"),
    ]
    email = channels["email"].sent[0]
    assert email.to == "ada@example.com" and email.subject == "Order confirmed - order ord-1"
    assert "Hello Ada" in email.body and "Tea <b>" in email.body
    assert email.html is not None and "Tea &lt;b&gt;" in email.html
    assert channels["sms"].sent[0].to == "+15550100"
    listed = service.list_notifications("ada", limit=10, continuation_token=None, store=store)
    assert {n.channel for n in listed.items} == {"email", "sms", "push"}
    assert all(n.status == "sent" and n.template == "order-confirmation" for n in listed.items)


def test_an_opted_out_channel_gets_nothing_and_no_phone_means_no_sms(
    store: SqliteDocumentStore, channels: dict[str, ScriptedChannel]
) -> None:
    _profile(store, "bob")
    set_preferences(store=store, user_id="bob", preferences=Preferences(channels=Channels(email=False)))
    records = service.notify(
        parse_message(_confirmation("c-2", "bob")), store=store, channels=channels, settings=SETTINGS
    )
    assert [r["channel"] for r in records] == ["push"]
    assert channels["email"].attempts == [] and channels["sms"].attempts == []


def test_a_user_without_a_profile_yet_gets_email_at_the_address_in_the_message(
    store: SqliteDocumentStore, channels: dict[str, ScriptedChannel]
) -> None:
    body = json.loads(_confirmation("c-3", "newcomer"))
    body["data"]["customerEmail"] = "new@example.com"
    service.notify(parse_message(json.dumps(body)), store=store, channels=channels, settings=SETTINGS)
    assert [m.to for m in channels["email"].sent] == ["new@example.com"]


def test_stock_low_reaches_every_admin_and_no_customer(
    store: SqliteDocumentStore, channels: dict[str, ScriptedChannel]
) -> None:
    _profile(store, "root")
    _profile(store, "carol")
    set_roles(store=store, user_id="root", roles=["admin"])
    event = {
        "specversion": "1.0",
        "id": "evt-low",
        "source": "smartcommerce.inventory",
        "type": "StockLow",
        "time": "2026-01-01T00:00:00Z",
        "data": {"sku": "SKU-9", "available": 1, "threshold": 3},
    }
    records = service.notify(
        parse_message(json.dumps(event)), store=store, channels=channels, settings=SETTINGS
    )
    assert {r["userId"] for r in records} == {"root"}
    assert channels["email"].sent[0].subject == "Stock low: SKU-9"


def test_listing_is_newest_first_and_pages(
    store: SqliteDocumentStore, channels: dict[str, ScriptedChannel]
) -> None:
    _profile(store, "dan")
    set_preferences(
        store=store, user_id="dan", preferences=Preferences(channels=Channels(sms=False, push=False))
    )
    for n in range(3):
        service.notify(
            parse_message(_confirmation(f"c-{n}", "dan")), store=store, channels=channels, settings=SETTINGS
        )
    first = service.list_notifications("dan", limit=2, continuation_token=None, store=store)
    assert len(first.items) == 2 and first.continuation_token
    rest = service.list_notifications(
        "dan", limit=2, continuation_token=first.continuation_token, store=store
    )
    created = [n.created_at for n in first.items + rest.items]
    assert len(created) == 3 and created == sorted(created, reverse=True)


def test_a_forged_continuation_token_is_a_422_not_a_500(store: SqliteDocumentStore) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.list_notifications("dan", limit=2, continuation_token="garbage!", store=store)
    assert caught.value.errors[0]["field"] == "continuationToken"


def test_each_admin_gets_their_own_stock_low_record(
    store: SqliteDocumentStore, channels: dict[str, ScriptedChannel]
) -> None:
    """The dedupe key is (event, channel) per recipient: a second admin is not a redelivery."""
    for sub in ("root1", "root2"):
        _profile(store, sub)
        set_roles(store=store, user_id=sub, roles=["admin"])
    event = {
        "specversion": "1.0",
        "id": "evt-low-2",
        "source": "smartcommerce.inventory",
        "type": "StockLow",
        "time": "2026-01-01T00:00:00Z",
        "data": {"sku": "SKU-9", "available": 1, "threshold": 3},
    }
    for _ in range(2):  # delivered twice: still one email per admin
        service.notify(parse_message(json.dumps(event)), store=store, channels=channels, settings=SETTINGS)
    assert sorted(m.to for m in channels["email"].sent) == ["root1@example.com", "root2@example.com"]
    for sub in ("root1", "root2"):
        listed = service.list_notifications(sub, limit=10, continuation_token=None, store=store)
        assert sorted(n.channel for n in listed.items) == ["email", "push"]


def test_a_channel_that_is_off_is_skipped_not_failed(
    store: SqliteDocumentStore, channels: dict[str, ScriptedChannel]
) -> None:
    """NOTIFY_SMS_CHANNEL=off / NOTIFY_PUSH_CHANNEL=off: build_channels leaves them out, and the
    user's other channels still go out (no `failed` record for a channel the shop does not run)."""
    from shared.composition import build_channels

    off = Settings.model_validate({"NOTIFY_EMAIL_CHANNEL": "sink", "NOTIFY_SMS_CHANNEL": "off"})
    assert set(build_channels(off)) == {"email"}  # push is off by default
    _profile(store, "eve", phone=True)
    only_email = {"email": channels["email"]}
    records = service.notify(
        parse_message(_confirmation("c-off", "eve")), store=store, channels=only_email, settings=SETTINGS
    )
    assert [(r["channel"], r["status"]) for r in records] == [("email", "sent")]
    assert channels["sms"].attempts == [] and channels["push"].attempts == []
