"""Snapshots round-trip and refuse damage; a rebuilt index swaps in without an empty moment."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from shared.search.engine import IndexHolder, SearchIndex, SearchRequest, SnapshotCorrupt
from tests.unit.search.conftest import CountingEncoder, product

QUERIES = ["kettle", "ketle", "something for camping", "northwind", "headlamp"]


def results(index: SearchIndex) -> list[tuple[str, ...]]:
    return [tuple(h.product_id for h in index.search(SearchRequest(q, limit=10)).items) for q in QUERIES]


def test_bytes_round_trip_gives_the_same_answers(small: SearchIndex, counting: CountingEncoder) -> None:
    small.delete("p1")  # a tombstoned row must survive too
    small.set_query_counts({"kettle descaler": 9})
    data = small.to_bytes()
    counting.texts.clear()
    loaded = SearchIndex.from_bytes(data, counting)
    assert counting.texts == []  # vectors come from the snapshot, nothing re-embedded
    assert results(loaded) == results(small) and len(loaded) == len(small) == 4
    assert [s.text for s in loaded.suggest("ke")] == [s.text for s in small.suggest("ke")]
    loaded.upsert(product("n1", "Lamna Camping Kettle", brand="Lamna"))  # still writable
    assert "n1" in [h.product_id for h in loaded.search(SearchRequest("camping kettle")).items]
    loaded.close()


def test_folder_round_trip(small: SearchIndex, counting: CountingEncoder, tmp_path: Path) -> None:
    small.save(tmp_path / "snap")
    loaded = SearchIndex.load(tmp_path / "snap", counting)
    assert results(loaded) == results(small)
    loaded.close()


def test_damaged_snapshots_raise_a_clear_error(
    small: SearchIndex, counting: CountingEncoder, tmp_path: Path
) -> None:
    data = small.to_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    for bad in (data[: len(data) // 3], bytes(flipped), b"", b"not a snapshot" * 100):
        with pytest.raises(SnapshotCorrupt):
            SearchIndex.from_bytes(bad, counting)
    small.save(tmp_path / "snap")
    vectors = tmp_path / "snap" / "vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:-10])
    with pytest.raises(SnapshotCorrupt, match=r"vectors\.npy"):
        SearchIndex.load(tmp_path / "snap", counting)
    with pytest.raises(SnapshotCorrupt):
        SearchIndex.load(tmp_path / "missing", counting)


def test_vectors_of_another_model_are_refused(small: SearchIndex, counting: CountingEncoder) -> None:
    data = small.to_bytes()
    counting.model_id = "some-other-model"
    with pytest.raises(SnapshotCorrupt, match="some-other-model"):
        SearchIndex.from_bytes(data, counting)


def test_a_swap_never_leaves_search_answering_empty(small: SearchIndex, counting: CountingEncoder) -> None:
    holder = IndexHolder(small)
    stop = threading.Event()
    empties: list[int] = []
    answered = [0]

    def shopper() -> None:
        while not stop.is_set():
            result = holder.current.search(SearchRequest("kettle", mode="keyword"))
            answered[0] += 1
            if result.total == 0:
                empties.append(1)

    thread = threading.Thread(target=shopper)
    thread.start()
    try:
        docs = [d for d in (small.get(p) for p in ("k1", "k2", "p1", "t1", "h1")) if d is not None]
        for n in range(3):
            rebuilt = SearchIndex.build([*docs, product(f"r{n}", f"Rebuilt Kettle {n}")], counting)
            holder.swap(rebuilt)
            assert f"r{n}" in [h.product_id for h in holder.current.search(SearchRequest("rebuilt")).items]
    finally:
        stop.set()
        thread.join()
    assert answered[0] > 0 and empties == []


def test_restored_derived_state_matches_a_fresh_build(small: SearchIndex, counting: CountingEncoder) -> None:
    """Format 2 stores columns, suggester and lexicon rather than re-deriving them: after a load
    and the same updates on both sides, facets, suggestions and did-you-mean still agree."""
    loaded = SearchIndex.from_bytes(small.to_bytes(), counting)
    for index in (small, loaded):
        index.upsert(
            product("k1", "Northwind Classic Kettle", brand="Contoso", popularity=500)
        )  # brand moved
        index.delete("h1")
    for prefix in ("ke", "nor", "con", "tails", "ketl"):
        assert [(s.text, s.kind, s.score) for s in loaded.suggest(prefix)] == [
            (s.text, s.kind, s.score) for s in small.suggest(prefix)
        ], prefix
    for q in QUERIES:
        a, b = small.search(SearchRequest(q)), loaded.search(SearchRequest(q))
        assert (a.total, a.facets) == (b.total, b.facets), q
    assert loaded.did_you_mean("hedlamp") == small.did_you_mean("hedlamp")
    assert loaded.lexicon.df == small.lexicon.df
    loaded.close()
