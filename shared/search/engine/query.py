"""One search: filters -> keyword and/or semantic candidates -> fusion -> personalization ->
stable order -> facets over the whole result set -> one page (and a did-you-mean if nothing)."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import numpy as np

from shared.search.engine import ranking
from shared.search.engine.columns import to_micros
from shared.search.engine.keyword import KeywordFilter, KeywordHits
from shared.search.engine.ranking import Ranked
from shared.search.engine.suggest import fold
from shared.search.engine.types import SearchHit, SearchRequest, SearchResult

if TYPE_CHECKING:
    from shared.search.engine.index import SearchIndex

MAX_LIMIT = 100
EMPTY = Ranked(np.zeros(0, np.int64), np.zeros(0, np.float64))


def _micros(value: Decimal | str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return to_micros(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{name} is not a decimal amount: {value!r}") from exc


def _check(request: SearchRequest) -> tuple[int | None, int | None]:
    if not 1 <= request.limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT}")
    if request.offset < 0:
        raise ValueError("offset must be >= 0")
    if request.mode not in ("keyword", "semantic", "hybrid"):
        raise ValueError(f"unknown mode {request.mode!r}")
    low, high = _micros(request.min_price, "min_price"), _micros(request.max_price, "max_price")
    if low is not None and high is not None and low > high:
        raise ValueError("min_price is above max_price")
    return low, high


def run_search(index: SearchIndex, request: SearchRequest) -> SearchResult:
    low, high = _check(request)
    if index.encoder is None and request.mode != "keyword":
        # An index without vectors (a worker's keyword-only start, embedded.py) ranks by keyword
        # and says so in `mode`, rather than answering a semantic query with nothing.
        request = replace(request, mode="keyword")
    key = _result_key(request)
    if key is not None:
        hit = cached_result(index, key)
        if hit is not None:
            return hit
    text = request.query.strip()
    wants_semantic = bool(text) and request.mode in ("semantic", "hybrid") and index.encoder is not None
    qvec = index.embed_query(text) if wants_semantic else None  # outside the lock: ~2-5 ms
    opts = index.options
    with index.lock:
        cols = index.columns
        mask = cols.mask(
            category_ids=request.category_ids,
            brand_ids=request.brand_ids,
            min_micros=low,
            max_micros=high,
            in_stock_only=request.in_stock_only,
        )
        keyword, semantic, exact, strict_hit = EMPTY, EMPTY, True, False
        if text and request.mode in ("keyword", "hybrid"):
            flt = KeywordFilter(request.category_ids, request.brand_ids, low, high)
            hits = _keyword(index, text, flt, opts.max_matches)
            keep = mask[hits.rows]
            keyword = Ranked(hits.rows[keep], hits.scores[keep].astype(np.float64))
            exact = hits.count <= opts.max_matches
            strict_hit = hits.count > 0 and not hits.relaxed
        if qvec is not None:
            filters = (
                tuple(request.category_ids),
                tuple(request.brand_ids),
                low,
                high,
                request.in_stock_only,
            )
            semantic = _semantic(index, text, qvec, mask, filters)
        if not text:
            rows = np.flatnonzero(mask).astype(np.int64)
            ranked = Ranked(rows, cols.popularity[rows])  # browsing: most popular first
        elif request.mode == "keyword":
            ranked = keyword
        elif request.mode == "semantic":
            ranked = semantic
        else:
            ranked = ranking.rrf(
                keyword, semantic, k=opts.rrf_k, kw=opts.keyword_weight, sw=opts.semantic_weight
            )
        if request.preference is not None and request.sort == "relevance" and len(ranked.rows):
            ranked = _personalize(index, ranked, request)
        perm = ranking.order(
            ranked, request.sort, price=cols.price, popularity=cols.popularity, tie=index.tie_ranks()
        )
        page = perm[request.offset : request.offset + request.limit]
        items = [_hit(index, int(ranked.rows[i]), float(ranked.scores[i])) for i in page]
        total = len(perm)
        end = request.offset + len(page)
        dym = None
        if text and (total == 0 or (request.mode != "semantic" and not strict_hit)):
            dym = cached_correction(index, text)
        result = SearchResult(
            items=items,
            total=total,
            total_exact=exact,
            facets=cols.facets(ranked.rows),
            offset=request.offset,
            next_offset=end if end < total else None,
            did_you_mean=dym,
            mode=request.mode,
        )
        if key is not None:  # the generations read under the lock: this result is of that state
            _remember(index.result_cache, key, (_generations(index), result), index.options.result_cache)
        return result


# Whole results of plain requests (no personalization), checked against the generations of the
# keyword index, the vectors and the filter columns (every document write moves the columns'
# one). Read WITHOUT the index lock: under 200 concurrent shoppers every search queued on that
# lock and each hand-over waited for the GIL (docs/search.md, "Search under concurrent load"). A
# hit is a result computed whole under the lock from one state; a write in progress has already
# moved a generation, or else its result would not differ from the cached one yet; a write that
# finished has moved one, so the next search recomputes. Unchanged documents (a stock event that
# did not flip availability) move nothing (SearchIndex._apply).


def _result_key(request: SearchRequest) -> tuple[Any, ...] | None:
    if request.preference is not None:
        return None
    return (
        request.query.strip(),
        request.mode,
        tuple(request.category_ids),
        tuple(request.brand_ids),
        str(request.min_price) if request.min_price is not None else None,
        str(request.max_price) if request.max_price is not None else None,
        request.in_stock_only,
        request.sort,
        request.limit,
        request.offset,
    )


def _generations(index: SearchIndex) -> tuple[int, int, int]:
    return (index.keyword.generation, index.vectors.generation, index.columns.generation)


def cached_result(index: SearchIndex, key: tuple[Any, ...]) -> SearchResult | None:
    cached = index.result_cache.get(key)
    if cached is None or cached[0] != _generations(index):
        return None
    with contextlib.suppress(KeyError):  # evicted meanwhile by another thread
        index.result_cache.move_to_end(key)
    return cached[1]


# Keyword hits of a query and its filters, and did-you-mean corrections, cached while the keyword
# index is unchanged (its generation moves with every product text or price written; stock and
# popularity live in the columns, applied afterwards). In the profile at 100k, tantivy and reading
# its 1,000 hits back were ~60 % of a repeated query's time, and head queries repeat.
KEYWORD_CACHE_SIZE = 2048


def _keyword(index: SearchIndex, text: str, flt: KeywordFilter, limit: int) -> KeywordHits:
    key = (
        " ".join(text.lower().split()),
        tuple(flt.category_ids),
        tuple(flt.brand_ids),
        flt.min_micros,
        flt.max_micros,
        limit,
    )
    generation = index.keyword.generation
    cached = index.keyword_cache.get(key)
    if cached is not None and cached[0] == generation:
        index.keyword_cache.move_to_end(key)
        hits: KeywordHits = cached[1]
        return hits
    hits = index.keyword.search(text, flt, limit=limit)
    _remember(index.keyword_cache, key, (generation, hits))
    return hits


def cached_correction(index: SearchIndex, text: str) -> str | None:
    key = " ".join(text.lower().split())
    generation = index.keyword.generation
    cached = index.correction_cache.get(key)
    if cached is not None and cached[0] == generation:
        index.correction_cache.move_to_end(key)
        return cached[1]
    found = correct(index, text)
    _remember(index.correction_cache, key, (generation, found))
    return found


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any, size: int = 0) -> None:
    cache[key] = value
    while len(cache) > (size or KEYWORD_CACHE_SIZE):
        with contextlib.suppress(KeyError):  # the result cache is also read without the lock
            cache.popitem(last=False)


# Semantic matches of a query before filters, best first, at most SEMANTIC_CACHE_K: a query's
# vector scan over every product is most of a search at 100k (13 ms of 17), and head queries
# repeat. Keyed by the normalized text, valid while no vector changed (prices, stock and archiving
# change the filter mask, applied afterwards, not the vectors).
SEMANTIC_CACHE_K = 1000
SEMANTIC_CACHE_SIZE = 1024


def _semantic(
    index: SearchIndex, text: str, qvec: np.ndarray, mask: np.ndarray, filters: tuple[Any, ...]
) -> Ranked:
    opts = index.options
    key = " ".join(text.lower().split())
    generation = index.vectors.generation
    cached = index.semantic_cache.get(key)
    if cached is None or cached[0] != generation:
        found, found_scores, complete = index.vectors.matches(
            qvec, index.columns.size, opts.semantic_threshold
        )
        if len(found) > SEMANTIC_CACHE_K:
            complete = False
            best = np.argpartition(-found_scores, SEMANTIC_CACHE_K - 1)[:SEMANTIC_CACHE_K]
            found, found_scores = found[best], found_scores[best]
        order = np.lexsort((found, -found_scores))  # best first, ties by row: one fixed order
        cached = (generation, found[order].astype(np.int64), found_scores[order].astype(np.float64), complete)
        index.semantic_cache[key] = cached
        if len(index.semantic_cache) > SEMANTIC_CACHE_SIZE:
            index.semantic_cache.popitem(last=False)
    else:
        index.semantic_cache.move_to_end(key)
    _, rows, scores_of, complete = cached
    keep = mask[rows]
    rows, scores_of = rows[keep], scores_of[keep]
    if not complete and len(rows) < opts.semantic_k:
        return _filtered_semantic(index, key, qvec, mask, filters)
    return Ranked(rows[: opts.semantic_k], scores_of[: opts.semantic_k])


def _filtered_semantic(
    index: SearchIndex, text: str, qvec: np.ndarray, mask: np.ndarray, filters: tuple[Any, ...]
) -> Ranked:
    """Filters left too few of the cached best: score this query in full (exact), with the filters.
    Cached per query and filters while neither a vector nor a filter column changed (a stock or
    price write moves the column generation): at 100k most filtered queries come here, and a full
    scan is 3-25 ms on the 2-core VM."""
    opts = index.options
    key = (text, filters)
    generation = (index.vectors.generation, index.columns.generation)
    cached = index.filtered_cache.get(key)
    if cached is not None and cached[0] == generation:
        index.filtered_cache.move_to_end(key)
        return cached[1]
    scores = index.vectors.scores(qvec, index.columns.size)
    found = np.flatnonzero(mask & (scores >= opts.semantic_threshold))
    if len(found) > opts.semantic_k:
        found = found[np.argpartition(-scores[found], opts.semantic_k - 1)[: opts.semantic_k]]
    found = found[np.lexsort((found, -scores[found]))]
    ranked = Ranked(found.astype(np.int64), scores[found].astype(np.float64))
    _remember(index.filtered_cache, key, (generation, ranked))
    return ranked


def _personalize(index: SearchIndex, ranked: Ranked, request: SearchRequest) -> Ranked:
    pref = request.preference
    assert pref is not None
    vectors = None
    if pref.vector is not None and index.encoder is not None:
        window = ranked.rows[np.argsort(-ranked.scores, kind="stable")[: ranking.RERANK_WINDOW]]
        vectors = np.stack([index.vectors.vector(int(r)) for r in window])
        vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
    cols = index.columns
    return ranking.personalize(
        ranked,
        pref,
        categories=cols.category,
        brands=cols.brand,
        category_ids=cols.categories.ids,
        brand_ids=cols.brands.ids,
        vectors=vectors,
        product_ids=_RowIds(index),
    )


class _RowIds(Sequence[str]):
    """Product id by row, read only for the rows asked (a list of all ids cost ~5 ms at 100k)."""

    def __init__(self, index: SearchIndex) -> None:
        self.docs = index.docs

    def __getitem__(self, row: int) -> str:  # type: ignore[override]
        doc = self.docs[row]
        return doc.product_id if doc is not None else ""

    def __len__(self) -> int:
        return len(self.docs)


def _hit(index: SearchIndex, row: int, score: float) -> SearchHit:
    doc = index.docs[row]
    assert doc is not None
    return SearchHit(
        product_id=doc.product_id,
        name=doc.name,
        score=round(float(score), 6),
        category_id=doc.category_id,
        brand_id=doc.brand_id,
        price=Decimal(str(doc.price)),
        in_stock=doc.in_stock,
    )


def correct(index: SearchIndex, query: str) -> str | None:
    """The query with each unknown word (4+ letters) replaced by the most frequent known word one
    edit away (two for 8+ letters), if that finds products and differs from the query."""
    words = fold(query).split()
    fixed = [index.lexicon.correct(w) or w if index.keyword.analyze(w) else w for w in words]
    if fixed == words:
        return None
    suggestion = " ".join(fixed)
    return suggestion if index.keyword.count_all_words(suggestion) > 0 else None
