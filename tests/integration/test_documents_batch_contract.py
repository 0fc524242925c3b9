"""Document store contract: transactional batches within one partition.

cosmosdb-server executes batches one operation at a time and never rolls back, supports only
create/upsert/replace/delete (no patch), and resolves the partition of non-create operations from
a per-operation key the SDK does not send; so only create batches run on it. Atomicity, mixed
operations and conditional operations in a batch are covered by the embedded adapter only (and
real Cosmos DB transactional batches guarantee them).
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

NOT_ATOMIC = "cosmosdb-server batches are not atomic and support create-only without per-op partition keys"


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
