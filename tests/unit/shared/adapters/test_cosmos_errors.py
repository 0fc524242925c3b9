"""Cosmos answers without a port meaning of their own map to clear errors; the stand-in's 500
workaround runs only in development (key) mode.

The SDK's error objects are real; the container proxy is a stub because neither cosmosdb-server
nor a real account can be made to answer 413, 429 or a genuine 500 on demand.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.cosmos.exceptions import CosmosClientTimeoutError, CosmosHttpResponseError

from shared.adapters.cosmos_container import CosmosContainer, map_service_error
from shared.http.problem import as_domain_error
from shared.kernel.errors import PayloadTooLarge, ServiceUnavailable
from shared.ports.documents import BatchOp, DocumentNotFound, Query, StoreBusy, TooLarge


class StubProxy:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def read_item(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    def execute_item_batch(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    def query_items(self, *args: Any, **kwargs: Any) -> Any:
        if "partition_key" in kwargs and "max_item_count" not in kwargs:
            return iter([])  # the existence double-check: "not there"
        raise self.error


def container(error: Exception, *, standin: bool) -> CosmosContainer:
    return CosmosContainer(StubProxy(error), "things", "/pk", standin_workarounds=standin)  # type: ignore[arg-type]


def test_413_and_429_and_timeouts_become_typed_errors() -> None:
    assert isinstance(
        map_service_error(CosmosHttpResponseError(status_code=413, message="big"), "x"), TooLarge
    )
    busy = map_service_error(CosmosHttpResponseError(status_code=429, message="slow"), "x")
    assert isinstance(busy, StoreBusy)
    assert isinstance(map_service_error(CosmosClientTimeoutError(), "x"), StoreBusy)
    other = CosmosHttpResponseError(status_code=503, message="down")
    assert map_service_error(other, "x") is other


def test_the_api_answers_413_and_503_with_retry_after() -> None:
    too_large = as_domain_error(TooLarge("batch"))
    assert isinstance(too_large, PayloadTooLarge) and too_large.status == 413
    busy = as_domain_error(StoreBusy("429", retry_after=2.4))
    assert isinstance(busy, ServiceUnavailable) and busy.headers["Retry-After"] == "2"


def test_a_batch_over_2_mb_raises_too_large() -> None:
    c = container(
        CosmosHttpResponseError(status_code=413, message="Request size is too large"), standin=False
    )
    with pytest.raises(TooLarge):
        c.batch("p", [BatchOp("create", document={"id": "a", "pk": "p"})])


def test_a_throttled_query_raises_store_busy() -> None:
    c = container(CosmosHttpResponseError(status_code=429, message="throttled"), standin=False)
    c.composites = ((("n", "ascending"), ("id", "ascending")),)
    with pytest.raises(StoreBusy):
        c.query(Query(order_by=(("n", "asc"),)))


def test_a_genuine_500_stays_a_500_against_real_cosmos() -> None:
    error = CosmosHttpResponseError(status_code=500, message="internal")
    with pytest.raises(CosmosHttpResponseError):
        container(error, standin=False).read("a", "p")
    with pytest.raises(DocumentNotFound):  # cosmosdb-server's 500 for a missing item
        container(error, standin=True).read("a", "p")
