"""Document store contract: transactional batches within one partition.

cosmosdb-server executes batches one operation at a time and never rolls back, and has no patch
inside a batch; it also needs the partition key copied into each non-create operation, which the
Cosmos adapter does (shared/adapters/cosmos_batch.py). So replace / upsert / delete batches, their
conditions and the failing operation's index and cause run on both adapters; atomicity (roll back
on failure) and patch inside a batch are covered by the embedded adapter only (real Cosmos DB
transactional batches guarantee both).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.ports.documents import (
    BatchFailed,
    BatchOp,
    Container,
    DocumentExists,
    DocumentNotFound,
    ETagMismatch,
    PatchOp,
)

MakeContainer = Callable[..., Container]

NOT_ATOMIC = "cosmosdb-server batches are not atomic and have no patch operation"


def test_batch_of_creates_returns_documents_in_order(make_container: MakeContainer) -> None:
    c = make_container()
    results = c.batch("p", [BatchOp("create", document={"id": f"d{i}", "pk": "p", "i": i}) for i in range(3)])
    assert [r["id"] for r in results if r is not None] == ["d0", "d1", "d2"]
    assert all(r is not None and r["_etag"] for r in results)
    assert c.read("d2", "p")["i"] == 2


def test_batch_rejects_documents_of_another_partition(make_container: MakeContainer) -> None:
    c = make_container()
    with pytest.raises(ValueError):
        c.batch("p", [BatchOp("create", document={"id": "a", "pk": "q"})])


def test_batch_of_replace_upsert_and_delete(make_container: MakeContainer) -> None:
    c = make_container()
    a = c.create({"id": "a", "pk": "p", "n": 1})
    c.create({"id": "b", "pk": "p"})
    c2 = c.create({"id": "c", "pk": "p", "n": 0})
    results = c.batch(
        "p",
        [
            BatchOp("replace", document={**a, "n": 2}, if_match=a["_etag"]),
            BatchOp("delete", id="b"),
            BatchOp("upsert", document={"id": "c", "pk": "p", "n": 5}, if_match=c2["_etag"]),
            BatchOp("upsert", document={"id": "d", "pk": "p", "n": 7}),
        ],
    )
    assert results[0] is not None and results[0]["n"] == 2 and results[0]["_etag"] != a["_etag"]
    assert results[1] is None
    assert [r["n"] for r in (results[2], results[3]) if r is not None] == [5, 7]
    assert c.read("a", "p")["n"] == 2
    assert c.read("c", "p")["n"] == 5
    assert c.read("d", "p")["n"] == 7
    with pytest.raises(DocumentNotFound):
        c.read("b", "p")


def test_batch_in_a_partition_keeps_other_partitions_apart(make_container: MakeContainer) -> None:
    c = make_container()
    c.create({"id": "same", "pk": "p", "n": 1})
    c.create({"id": "same", "pk": "q", "n": 1})
    c.batch(
        "q", [BatchOp("replace", document={"id": "same", "pk": "q", "n": 2}), BatchOp("delete", id="same")]
    )
    assert c.read("same", "p")["n"] == 1
    with pytest.raises(DocumentNotFound):
        c.read("same", "q")


@pytest.mark.parametrize(
    ("failing", "cause"),
    [
        (BatchOp("create", document={"id": "existing", "pk": "p"}), DocumentExists),
        (BatchOp("replace", document={"id": "existing", "pk": "p"}, if_match='"stale"'), ETagMismatch),
        (BatchOp("upsert", document={"id": "gone", "pk": "p"}, if_match='"stale"'), ETagMismatch),
        (BatchOp("delete", id="existing", if_match='"stale"'), ETagMismatch),
        (BatchOp("delete", id="missing"), DocumentNotFound),
        (BatchOp("replace", document={"id": "missing", "pk": "p"}), DocumentNotFound),
    ],
)
def test_a_failing_operation_is_reported_with_its_index_and_cause(
    make_container: MakeContainer, failing: BatchOp, cause: type[Exception]
) -> None:
    c = make_container()
    c.create({"id": "existing", "pk": "p", "n": 1})
    with pytest.raises(BatchFailed) as info:
        c.batch("p", [BatchOp("upsert", document={"id": "other", "pk": "p"}), failing])
    assert info.value.index == 1
    assert isinstance(info.value.cause, cause)
    assert c.read("existing", "p")["n"] == 1


@pytest.mark.embedded_only(NOT_ATOMIC)
def test_batch_of_mixed_operations(make_container: MakeContainer) -> None:
    c = make_container()
    a = c.create({"id": "a", "pk": "p", "n": 1})
    c.create({"id": "b", "pk": "p"})
    results = c.batch(
        "p",
        [
            BatchOp("replace", document={**a, "n": 2}, if_match=a["_etag"]),
            BatchOp("patch", id="a", patch=(PatchOp("incr", "/n", 10),)),
            BatchOp("delete", id="b"),
            BatchOp("upsert", document={"id": "c", "pk": "p"}),
        ],
    )
    assert results[1] is not None and results[1]["n"] == 12
    assert results[2] is None
    assert c.read("a", "p")["n"] == 12
    assert c.read("c", "p")["id"] == "c"
    with pytest.raises(DocumentNotFound):
        c.read("b", "p")


@pytest.mark.embedded_only(NOT_ATOMIC)
@pytest.mark.parametrize(
    ("failing", "cause"),
    [
        (BatchOp("create", document={"id": "existing", "pk": "p"}), DocumentExists),
        (BatchOp("replace", document={"id": "existing", "pk": "p"}, if_match='"stale"'), ETagMismatch),
        (BatchOp("delete", id="missing"), DocumentNotFound),
    ],
)
def test_a_failing_operation_rolls_back_the_whole_batch(
    make_container: MakeContainer, failing: BatchOp, cause: type[Exception]
) -> None:
    c = make_container()
    c.create({"id": "existing", "pk": "p", "n": 1})
    with pytest.raises(BatchFailed) as info:
        c.batch(
            "p",
            [
                BatchOp("create", document={"id": "new", "pk": "p"}),
                BatchOp("patch", id="existing", patch=(PatchOp("set", "/n", 2),)),
                failing,
            ],
        )
    assert info.value.index == 2
    assert isinstance(info.value.cause, cause)
    with pytest.raises(DocumentNotFound):
        c.read("new", "p")
    assert c.read("existing", "p")["n"] == 1


def test_batch_size_is_limited_like_cosmos(make_container: MakeContainer) -> None:
    c = make_container()
    with pytest.raises(ValueError):
        c.batch("p", [BatchOp("create", document={"id": f"d{i}", "pk": "p"}) for i in range(101)])
    with pytest.raises(ValueError):
        c.batch("p", [])
