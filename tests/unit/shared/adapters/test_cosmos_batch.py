"""Batch operations carry their partition key (what cosmosdb-server needs), formatted by the SDK."""

from __future__ import annotations

from typing import Any

from azure.cosmos import _base

from shared.adapters import cosmos_batch, cosmos_container  # noqa: F401 - importing installs it


def test_the_sdk_formatter_is_wrapped_once() -> None:
    wrapped = _base._format_batch_operations
    assert cosmos_batch.install() is True
    assert cosmos_batch.install() is True
    assert _base._format_batch_operations is wrapped  # idempotent: not wrapped twice
    assert getattr(wrapped, "_sc_per_operation_partition_key", False)


def test_operations_with_the_key_get_it_and_the_rest_are_untouched() -> None:
    pk = cosmos_batch.partition_key_json("p/1")
    assert pk == '["p/1"]'
    delete_kwargs = {"if_match_etag": '"e1"', cosmos_batch.PARTITION_KEY_KWARG: pk}
    ops: list[Any] = [
        ("create", ({"id": "a", "pk": "p/1"},)),
        ("delete", ("b",), delete_kwargs),
        ("replace", ("c", {"id": "c", "pk": "p/1"}), {cosmos_batch.PARTITION_KEY_KWARG: pk}),
    ]
    formatted = _base._format_batch_operations(ops)
    assert formatted[0] == {"operationType": "Create", "resourceBody": {"id": "a", "pk": "p/1"}}
    assert formatted[1] == {"operationType": "Delete", "id": "b", "ifMatch": '"e1"', "partitionKey": pk}
    assert formatted[2]["partitionKey"] == pk and formatted[2]["operationType"] == "Replace"
    # The caller's kwargs are not consumed: a retried request formats the same operations again.
    assert delete_kwargs == {"if_match_etag": '"e1"', cosmos_batch.PARTITION_KEY_KWARG: pk}
    assert _base._format_batch_operations(ops) == formatted
