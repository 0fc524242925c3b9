"""The IVF pre-selection of the vector scan: close to the full scan, exact under writes, kept by
snapshots. Forced on small indexes by lowering ivf.MIN_ROWS (a real catalog needs 20k products)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from bench.search_catalog import demo_documents
from models.embeddings import MiniLMEncoder
from shared.search.engine import SearchIndex, SearchRequest, SnapshotCorrupt, ivf
from shared.search.engine.ivf import Ivf
from shared.search.engine.vectors import VectorStore
from tests.unit.search.conftest import product

QUERIES = ["electric kettle", "something for camping", "warm jacket for winter", "wireless headphones"]


def clustered(n: int, dim: int = 64, centres: int = 12, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, dim))
    x = middle[rng.integers(0, centres, n)] + 0.35 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def ivf_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivf, "MIN_ROWS", 100)


@pytest.fixture
def demo_ivf(encoder: MiniLMEncoder, ivf_on: None) -> Iterator[SearchIndex]:
    index = SearchIndex.build(demo_documents(), encoder)
    assert index.vectors.ivf is not None
    yield index
    index.close()


def _exact(store: VectorStore, q: np.ndarray, rows: int, threshold: float) -> np.ndarray:
    scores = store.scores(q, rows)
    found = np.flatnonzero(scores >= threshold)
    return found[np.lexsort((found, -scores[found]))]


def test_cells_find_nearly_what_the_full_scan_finds(ivf_on: None) -> None:
    vectors = clustered(4000)
    store = VectorStore(64)
    store.set_many(np.arange(4000), vectors)
    store.train(4000)
    assert store.ivf is not None and len(store.ivf.cells) == ivf.cell_count(4000)
    recalls = []
    for q in vectors[:40]:
        exact = _exact(store, q, 4000, 0.3)[:100]
        rows, scores, complete = store.matches(q, 4000, 0.3)
        assert not complete
        full = store.scores(q, 4000)
        assert np.allclose(scores, full[rows]) and (scores >= 0.3).all()  # the same int8 scores
        recalls.append(len(set(exact) & set(rows[np.argsort(-scores)][:100])) / len(exact))
    assert np.mean(recalls) >= 0.9, np.mean(recalls)
    assert store.ivf.total == 4000


def test_writes_after_training_are_exact(ivf_on: None) -> None:
    vectors = clustered(3000)
    store = VectorStore(64)
    store.set_many(np.arange(3000), vectors)
    store.train(3000)
    fresh = clustered(2, seed=9)
    store.set_many(np.array([3000, 5]), fresh)  # a new row, and row 5's text changed
    for row, v in ((3000, fresh[0]), (5, fresh[1])):
        rows, scores, _ = store.matches(v, 3001, 0.3)
        assert row in rows and scores[list(rows).index(row)] > 0.95
    old = store.matches(vectors[5], 3001, 0.99)[0]
    assert 5 not in old  # its old vector is gone from the cells
    store.clear(3000)
    assert 3000 not in store.matches(fresh[0], 3001, 0.3)[0]
    assert store.ivf is not None and store.ivf.total == 3000


def test_search_with_cells_agrees_with_the_full_scan(demo_ivf: SearchIndex, encoder: MiniLMEncoder) -> None:
    plain = SearchIndex.build(demo_documents(), encoder)
    plain.vectors.ivf = None  # the full scan
    try:
        for q in QUERIES:
            a = [h.product_id for h in demo_ivf.search(SearchRequest(q, mode="semantic", limit=10)).items]
            b = [h.product_id for h in plain.search(SearchRequest(q, mode="semantic", limit=10)).items]
            assert len(set(a) & set(b)) >= 8, (q, a, b)
    finally:
        plain.close()
    demo_ivf.upsert(product("n1", "Lamna Titanium Camping Kettle", category="Outdoor", brand="Lamna"))
    assert "n1" in [h.product_id for h in demo_ivf.search(SearchRequest("titanium camping kettle")).items]
    demo_ivf.delete("n1")
    assert "n1" not in [h.product_id for h in demo_ivf.search(SearchRequest("titanium camping kettle")).items]


def test_snapshots_keep_the_cells(demo_ivf: SearchIndex, encoder: MiniLMEncoder) -> None:
    loaded = SearchIndex.from_bytes(demo_ivf.to_bytes(), encoder)
    try:
        a, b = demo_ivf.vectors.ivf, loaded.vectors.ivf
        assert a is not None and b is not None
        assert np.array_equal(a.centroids, b.centroids)
        assert np.array_equal(a.cell_of[: demo_ivf.columns.size], b.cell_of[: loaded.columns.size])
        for q in QUERIES:
            request = SearchRequest(q, mode="semantic", limit=20)
            assert [h.product_id for h in loaded.search(request).items] == [
                h.product_id for h in demo_ivf.search(request).items
            ]
    finally:
        loaded.close()


def test_cells_that_do_not_fit_the_vectors_are_refused() -> None:
    store = VectorStore(64)
    store.set_many(np.arange(10), clustered(10))
    centroids = clustered(4)
    with pytest.raises(ValueError):
        Ivf.assigned(store._matrix, store._scale, store._colsum, centroids, np.array([0, 1, 7] + [0] * 7))
    with pytest.raises(ValueError):
        Ivf.assigned(store._matrix, store._scale, store._colsum, centroids[:, :10], np.zeros(10, np.int32))
    assert issubclass(SnapshotCorrupt, ValueError)


def test_query_bytes_never_saturate_the_avx2_kernel() -> None:
    """MLAS's u8 x s8 kernel on AVX2 without VNNI adds two u8*s8 products into a saturating int16:
    every pair must fit whatever the CPU, or the scores are clipped (seen as 0.88 for a vector
    against itself on an AMD EPYC without VNNI)."""
    store = VectorStore(64)
    rng = np.random.default_rng(1)
    for query in (np.ones(64), -np.ones(64), rng.normal(size=64), np.eye(64)[0]):
        shifted, _ = store._query(query / np.linalg.norm(query))
        assert 2 * int(shifted.max()) * 127 <= 32767
        assert 2 * int(shifted.min()) * 127 <= 32767  # the matrix side reaches -127 too


def test_a_vector_scores_itself_near_one() -> None:
    vectors = clustered(200, seed=9)
    store = VectorStore(64)
    store.set_many(np.arange(200), vectors)
    for row in range(0, 200, 17):
        assert store.scores(vectors[row], 200)[row] > 0.97
