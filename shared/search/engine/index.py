"""SearchIndex: one in-process product index (keyword + vectors + facts), an ordinary object.

No global state: the service holds a reference and swaps it for a rebuilt one (IndexHolder). All
reads and writes of one index are serialized by its lock; query embedding runs outside it, and
a repeated plain request is answered from the result cache without taking the lock.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shared.search.engine import documents
from shared.search.engine.columns import DEFAULT_PRICE_BANDS, Columns
from shared.search.engine.keyword import KeywordIndex
from shared.search.engine.suggest import Lexicon, Suggester
from shared.search.engine.types import SearchDocument, SearchRequest, SearchResult, Suggestion, TextEncoder
from shared.search.engine.vectors import VectorStore


@dataclass(frozen=True)
class IndexOptions:
    # A product is a semantic match at cosine >= threshold, the best semantic_k at most (hybrid
    # unions them with the keyword matches). Tuned on the validation queries (docs/search.md).
    semantic_threshold: float = 0.3
    semantic_k: int = 200
    # Reciprocal-rank fusion: score = keyword_weight / (rrf_k + rank) + semantic_weight / (rrf_k + rank).
    rrf_k: float = 10.0
    keyword_weight: float = 1.0
    semantic_weight: float = 2.0
    # Keyword matches kept per query, best BM25 first; beyond it `total_exact` is False. Any word
    # matches, so a long query matches much of a big catalog: collecting every hit cost ~10 ms per
    # 10k hits (bench), and hit 1,001 is never what a shopper pages to.
    max_matches: int = 1_000
    price_bands: tuple[int, ...] = DEFAULT_PRICE_BANDS
    query_cache: int = 2048
    # Whole results of plain (not personalized) requests, read without the index lock while no
    # generation moved (query.cached_result): docs/search.md, "Search under concurrent load".
    result_cache: int = 4096


class SearchIndex:
    def __init__(
        self,
        encoder: TextEncoder | None,
        options: IndexOptions | None = None,
        *,
        _keyword: KeywordIndex | None = None,
        _vectors: VectorStore | None = None,
    ):
        self.encoder = encoder
        self.options = options or IndexOptions()
        dim = encoder.dimension if encoder is not None else 1
        self.keyword = _keyword or KeywordIndex()
        self.vectors = _vectors or VectorStore(dim)
        self.columns = Columns(price_bands=self.options.price_bands)
        self.suggester = Suggester()
        self.lexicon = Lexicon()
        self.docs: list[SearchDocument | None] = []
        self.texts: list[str | None] = []  # the embedded text of each row (None: no vector)
        self.row_of: dict[str, int] = {}
        self.query_counts: dict[str, int] = {}
        self._tie: np.ndarray | None = None
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        # query text -> (vector generation, rows, scores, complete): see query._semantic
        self.semantic_cache: OrderedDict[str, tuple[int, np.ndarray, np.ndarray, bool]] = OrderedDict()
        # (query text, filters) -> (keyword generation, hits), and query text -> (keyword
        # generation, did-you-mean): see query._keyword / query._did_you_mean
        self.keyword_cache: OrderedDict[tuple[Any, ...], tuple[int, Any]] = OrderedDict()
        self.correction_cache: OrderedDict[str, tuple[int, str | None]] = OrderedDict()
        # (query text, filters) -> ((vector, column generation), semantic matches): query._filtered_semantic
        self.filtered_cache: OrderedDict[tuple[Any, ...], tuple[tuple[int, int], Any]] = OrderedDict()
        # request key -> (generations, result): see query.cached_result
        self.result_cache: OrderedDict[tuple[Any, ...], tuple[tuple[int, int, int], SearchResult]] = (
            OrderedDict()
        )
        self.lock = threading.RLock()
        # One embedding per query text in flight: concurrent first searches of a text wait for it.
        self._embedding: dict[str, threading.Event] = {}
        self._embedding_lock = threading.Lock()

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls, docs: Iterable[SearchDocument], encoder: TextEncoder | None, options: IndexOptions | None = None
    ) -> SearchIndex:
        """A new index over `docs` (the full rebuild: build beside the live one, then swap)."""
        index = cls(encoder, options)
        index.upsert_many(docs)
        index.keyword.refresh()
        with index.lock:
            index.vectors.train(index.columns.size)  # IVF cells for a big catalog (engine/ivf.py)
        return index

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Each distinct text once (catalogs repeat titles across variants and colours)."""
        assert self.encoder is not None
        unique = list(dict.fromkeys(texts))
        vectors = self.encoder.encode(unique)
        at = {t: i for i, t in enumerate(unique)}
        return vectors[[at[t] for t in texts]]

    # -- writes -----------------------------------------------------------------------------

    def upsert(self, doc: SearchDocument) -> None:
        self.upsert_many([doc])

    def upsert_many(self, docs: Iterable[SearchDocument]) -> None:
        """Create or replace products; visible to the next search. Only changed text is embedded."""
        batch = list({d.product_id: d for d in docs}.values())
        if not batch:
            return
        with self.lock:
            stale = [d for d in batch if self._stale_text(d)]
        vectors = self._embed([d.embedding_text() for d in stale]) if stale and self.encoder else None
        with self.lock:
            if vectors is not None:
                rows = np.array([self._row(d.product_id) for d in stale], dtype=np.int64)
                self.vectors.set_many(rows, vectors)
                for row, d in zip(rows, stale, strict=True):
                    self.texts[row] = d.embedding_text()
            for doc in batch:
                self._apply(doc)

    def _stale_text(self, doc: SearchDocument) -> bool:
        row = self.row_of.get(doc.product_id)
        return row is None or self.texts[row] != doc.embedding_text()

    def _row(self, product_id: str) -> int:
        row = self.row_of.get(product_id)
        if row is None:
            row = self.row_of[product_id] = len(self.docs)
            self.docs.append(None)
            self.texts.append(None)
            self._tie = None
        return row

    def _apply(self, doc: SearchDocument) -> None:
        row = self._row(doc.product_id)
        old = self.docs[row]
        if old == doc:
            # A stock event that did not flip availability, a replayed event: nothing changed, so
            # no generation moves and no cached result goes stale (most events under order load).
            return
        view = documents.keyword_view(doc)
        if view is None:
            self.keyword.remove(doc.product_id)
        elif view != documents.keyword_view(old):
            self.keyword.put(documents.keyword_doc(row, doc))
        self.lexicon.remove(documents.lexicon_words(old))
        self.lexicon.add(documents.lexicon_words(doc))
        self.suggester.set_source(doc.product_id, documents.suggestions(doc))
        self.columns.set(row, doc)
        self.docs[row] = doc

    def delete(self, product_id: str) -> bool:
        with self.lock:
            row = self.row_of.get(product_id)
            if row is None or self.docs[row] is None:
                return False
            self.keyword.remove(product_id)
            self.lexicon.remove(documents.lexicon_words(self.docs[row]))
            self.suggester.set_source(product_id, [])
            self.columns.clear(row)
            self.vectors.clear(row)
            self.docs[row] = None
            self.texts[row] = None
            return True

    def set_query_counts(self, counts: Mapping[str, int]) -> None:
        """Popular past queries for autocomplete (the analytics store's counts)."""
        with self.lock:
            self.query_counts = dict(counts)
            self.suggester.set_queries(counts)

    # -- reads ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.columns.live[: self.columns.size].sum())

    def get(self, product_id: str) -> SearchDocument | None:
        row = self.row_of.get(product_id)
        return None if row is None else self.docs[row]

    def vector(self, product_id: str) -> np.ndarray | None:
        """A product's (dequantized) embedding, e.g. to build a shopper's preference vector."""
        row = self.row_of.get(product_id)
        if row is None or self.texts[row] is None:
            return None
        v = self.vectors.vector(row)
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def tie_ranks(self) -> np.ndarray:
        if self._tie is None or len(self._tie) < len(self.docs):
            ids = np.array(list(self.row_of), dtype=object)
            rows = np.array(list(self.row_of.values()), dtype=np.int64)
            tie = np.zeros(len(self.docs), dtype=np.int64)
            tie[rows[np.argsort(ids, kind="stable")]] = np.arange(len(rows))
            self._tie = tie
        return self._tie

    def embed_query(self, text: str) -> np.ndarray | None:
        if self.encoder is None:
            return None
        key = " ".join(text.lower().split())
        while True:
            cached = self._qcache.get(key)
            if cached is not None:
                with contextlib.suppress(KeyError):  # evicted meanwhile by another thread
                    self._qcache.move_to_end(key)
                return cached
            with self._embedding_lock:
                pending = self._embedding.get(key)
                mine = pending is None
                if mine:
                    pending = self._embedding[key] = threading.Event()
            assert pending is not None
            if not mine:  # another search embeds this text now: wait for it, then read the cache
                pending.wait(timeout=10.0)
                if key in self._qcache:
                    continue
                return self.encoder.encode([key])[0]  # it failed: embed here (its error, if any)
            try:
                vector = self.encoder.encode([key])[0]
                self._qcache[key] = vector
                while len(self._qcache) > self.options.query_cache:
                    with contextlib.suppress(KeyError):
                        self._qcache.popitem(last=False)
                return vector
            finally:
                with self._embedding_lock:
                    del self._embedding[key]
                pending.set()

    def search(self, request: SearchRequest) -> SearchResult:
        from shared.search.engine.query import run_search

        return run_search(self, request)

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        with self.lock:
            return self.suggester.suggest(prefix, limit)

    def did_you_mean(self, query: str) -> str | None:
        from shared.search.engine.query import cached_correction

        with self.lock:
            return cached_correction(self, query)

    # -- snapshots --------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        from shared.search.engine import snapshot

        return snapshot.dumps(self)

    def save(self, folder: Path) -> None:
        from shared.search.engine import snapshot

        snapshot.save(self, folder)

    @classmethod
    def from_bytes(
        cls, data: bytes, encoder: TextEncoder | None, options: IndexOptions | None = None
    ) -> SearchIndex:
        from shared.search.engine import snapshot

        return snapshot.loads(data, encoder, options)

    @classmethod
    def load(
        cls, folder: Path, encoder: TextEncoder | None, options: IndexOptions | None = None
    ) -> SearchIndex:
        from shared.search.engine import snapshot

        return snapshot.load(folder, encoder, options)

    def close(self) -> None:
        """Remove the keyword engine's files (an index swapped out; searches on it must be over)."""
        self.keyword.close()

    def __del__(self) -> None:
        keyword = getattr(self, "keyword", None)
        if keyword is not None:
            keyword.close()
