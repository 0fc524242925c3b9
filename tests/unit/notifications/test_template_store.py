from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.kernel.errors import Conflict, NotFound, ValidationFailed
from shared.notifications import service
from shared.notifications.model import TemplateIn
from shared.notifications.template_store import HEAD_ID, TemplateStore
from shared.ports.documents import Query


def _confirmation(subject: str) -> TemplateIn:
    return TemplateIn.model_validate(
        {
            "kind": "order_confirmed",
            "variants": [{"channel": "email", "subject": subject, "body": "{{ order.id }}"}],
        }
    )


def test_unsaved_names_are_served_from_the_builtin_version_zero(store: SqliteDocumentStore) -> None:
    current = TemplateStore(store).get("order-confirmation")
    assert current.version == 0 and current.builtin
    with pytest.raises(NotFound):
        TemplateStore(store).get("nothing-here")


def test_each_save_is_a_new_version_and_old_versions_are_kept(store: SqliteDocumentStore) -> None:
    first = service.save_template(
        "order-confirmation", _confirmation("v1 {{ order.id }}"), by="admin-1", store=store
    )
    second = service.save_template(
        "order-confirmation", _confirmation("v2 {{ order.id }}"), by="admin-2", store=store
    )
    assert (first.version, second.version) == (1, 2)
    current = TemplateStore(store).get("order-confirmation")
    assert current.version == 2 and current.updated_by == "admin-2" and not current.builtin
    assert current.variants[0].subject == "v2 {{ order.id }}"
    docs = TemplateStore(store).container.query_all(Query(), partition_key="order-confirmation")
    ids = {d["id"] for d in docs}
    assert ids == {HEAD_ID, "v000001", "v000002"}


def test_listing_merges_saved_and_builtin_templates(store: SqliteDocumentStore) -> None:
    service.save_template("order-confirmation", _confirmation("saved"), by="a", store=store)
    service.save_template("promo-spring", _confirmation("new name"), by="a", store=store)
    listed = {t.name: t.version for t in service.list_templates(store=store)}
    assert listed["order-confirmation"] == 1 and listed["promo-spring"] == 1
    assert listed["order-shipped"] == 0 and listed["stock-low"] == 0


def test_a_bad_template_is_refused_and_nothing_is_stored(store: SqliteDocumentStore) -> None:
    with pytest.raises(ValidationFailed):
        service.save_template("order-confirmation", _confirmation("{{ order.nope }}"), by="a", store=store)
    assert TemplateStore(store).get("order-confirmation").version == 0


def test_a_name_the_handlers_use_keeps_its_kind(store: SqliteDocumentStore) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.save_template("order-shipped", _confirmation("x"), by="a", store=store)
    assert caught.value.errors[0]["field"] == "kind"
    with pytest.raises(ValidationFailed):
        service.save_template("Bad Name!", _confirmation("x"), by="a", store=store)


class _InterleavingContainer:
    """Reads the head, then lets another admin's save land before our batch (a real race window)."""

    def __init__(self, inner: Any, interleave: Callable[[], object]) -> None:
        self.inner, self.interleave = inner, interleave

    def read(self, id: str, partition_key: str) -> dict[str, Any]:
        head = self.inner.read(id, partition_key)
        self.interleave()
        return head

    def batch(self, partition_key: str, operations: list[Any]) -> list[Any]:
        return self.inner.batch(partition_key, operations)


def test_a_save_racing_another_one_is_a_conflict_not_a_lost_update(store: SqliteDocumentStore) -> None:
    TemplateStore(store).save("order-confirmation", _confirmation("one"), by="a")
    other = TemplateStore(store)

    class Racing(TemplateStore):
        @property
        def container(self) -> Any:
            return _InterleavingContainer(
                other.container, lambda: other.save("order-confirmation", _confirmation("two"), by="b")
            )

    with pytest.raises(Conflict):
        Racing(store).save("order-confirmation", _confirmation("three"), by="c")
    current = other.get("order-confirmation")
    assert (current.version, current.updated_by) == (2, "b")
