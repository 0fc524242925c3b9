"""Autocomplete (prefix completions ranked by popularity, one typo tolerated) and the word list
that did-you-mean corrects against. Both are small tantivy indexes in memory, updated in place and
committed lazily on the next read, so a burst of catalog events costs one commit.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import tantivy

from shared.search.engine.types import Suggestion, SuggestionKind

WORD = re.compile(r"\w+", re.UNICODE)
PLAIN = "plain"
KIND_ORDER: dict[SuggestionKind, int] = {"query": 0, "category": 1, "brand": 2, "product": 3}
MIN_FUZZY_PREFIX = 3
CACHE_SIZE = 4096


def fold(text: str) -> str:
    """Lowercase, accents removed, words joined by single spaces: the key an entry is found by."""
    lowered = text.lower()
    if not lowered.isascii():  # the slow path only where there are accents to strip
        decomposed = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(WORD.findall(lowered))


def _plain() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


class _Lazy:
    """A RAM tantivy index with one writer, committed when read after a write."""

    def __init__(self, schema: tantivy.Schema):
        self.schema = schema
        self.index = tantivy.Index(schema)
        self.index.register_tokenizer(PLAIN, _plain())
        self._writer = self.index.writer(heap_size=15_000_000, num_threads=1)
        self._dirty = False
        self.searcher = self.index.searcher()

    def delete(self, key: str) -> None:
        self._writer.delete_documents_by_term("key", key)
        self._dirty = True

    def add(self, doc: tantivy.Document) -> None:
        self._writer.add_document(doc)
        self._dirty = True

    def fresh(self) -> tantivy.Searcher:
        if self._dirty:
            self._writer.commit()
            self.index.reload()
            self.searcher = self.index.searcher()
            self._dirty = False
        return self.searcher


@dataclass
class _Entry:
    text: str
    kind: SuggestionKind
    weights: dict[str, float] = field(default_factory=dict)  # source (product id, "q") -> weight
    # The sum of `weights`, kept as they change: a brand's entry has a weight per product (10k at
    # 100k products), and summing them per read was most of suggest's p99.
    weight: float = 0.0

    def put(self, source: str, weight: float) -> None:
        self.weight += weight - self.weights.get(source, 0.0)
        self.weights[source] = weight

    def pop(self, source: str) -> None:
        self.weight -= self.weights.pop(source, 0.0)
        if not self.weights:
            self.weight = 0.0


class Suggester:
    def __init__(self) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("key", stored=True, tokenizer_name="raw")
        builder.add_text_field("words", tokenizer_name=PLAIN, index_option="basic")
        builder.add_float_field("weight", fast=True)
        self._ix = _Lazy(builder.build())
        self._entries: dict[str, _Entry] = {}
        self._by_source: dict[str, set[str]] = {}
        self._pending: set[str] = set()  # keys whose tantivy document is out of date
        # (folded prefix, limit) -> answer, valid until an entry changes: autocomplete asks the
        # same short prefixes over and over (every shopper's first keystrokes), and an answer
        # costs two tantivy searches plus a stored-document read per hit.
        self._cache: OrderedDict[tuple[str, int], list[Suggestion]] = OrderedDict()

    def _write(self, key: str) -> None:
        # A brand's entry changes with each of its products: write it once, at the next read.
        self._pending.add(key)
        self._cache.clear()

    def _flush(self) -> tantivy.Searcher:
        for key in self._pending:
            self._ix.delete(key)
            entry = self._entries.get(key)
            if entry is not None:
                doc = tantivy.Document(key=key, words=key)
                doc.add_float("weight", float(entry.weight))
                self._ix.add(doc)
        self._pending.clear()
        return self._ix.fresh()

    def set_source(self, source: str, items: Iterable[tuple[str, SuggestionKind, float]]) -> None:
        """Replace what one source (a product, or the query log) contributes: (text, kind, weight)."""
        new: dict[str, tuple[str, SuggestionKind, float]] = {}
        for text, kind, weight in items:
            key = fold(text)
            if key:
                new[key] = (text, kind, weight)
        old = self._by_source.get(source, set())
        for key in old - new.keys():
            entry = self._entries[key]
            entry.pop(source)
            if not entry.weights:
                del self._entries[key]
            self._write(key)
        for key, (text, kind, weight) in new.items():
            found = self._entries.get(key)
            if found is None:
                entry = self._entries[key] = _Entry(text, kind)
            else:
                entry = found
            if KIND_ORDER[kind] < KIND_ORDER[entry.kind]:
                entry.kind, entry.text = kind, text  # a brand named like a query shows as the brand
            if entry.weights.get(source) != weight or key not in old:
                entry.put(source, weight)
                self._write(key)
        if new:
            self._by_source[source] = set(new)
        else:
            self._by_source.pop(source, None)

    def export(self) -> list[list[Any]]:
        """Every entry with its sources, for snapshots (restoring beats re-deriving from 100k docs)."""
        return [
            [key, e.text, e.kind, list(e.weights), list(e.weights.values())]
            for key, e in self._entries.items()
        ]

    def restore(self, entries: Iterable[list[Any]]) -> None:
        """The inverse of export, into an empty suggester; the engine index is written at once."""
        by_source: dict[str, list[str]] = {}
        for key, text, kind, sources, weights in entries:
            entry = _Entry(text, kind, dict(zip(sources, weights, strict=True)))
            entry.weight = float(sum(weights))
            self._entries[key] = entry
            for source in sources:
                found = by_source.get(source)
                if found is None:
                    by_source[source] = [key]
                else:
                    found.append(key)
        self._by_source = {source: set(keys) for source, keys in by_source.items()}
        self._pending.update(self._entries)
        self._flush()

    def set_queries(self, counts: Mapping[str, int]) -> None:
        """Popular past queries (the service's analytics pass counts); replaces the previous set."""
        for key in [k for k in self._by_source if k.startswith("q:")]:
            self.set_source(key, [])
        for text, count in counts.items():
            self.set_source(f"q:{fold(text)}", [(text, "query", float(count))])

    def _query(self, words: list[str], fuzzy: bool) -> tantivy.Query:
        clauses = []
        schema = self._ix.schema
        for i, word in enumerate(words):
            last = i == len(words) - 1
            distance = 1 if fuzzy and len(word) >= (MIN_FUZZY_PREFIX if last else 4) else 0
            q = tantivy.Query.fuzzy_term_query(schema, "words", word, distance=distance, prefix=last)
            clauses.append((tantivy.Occur.Must, q))
        return tantivy.Query.boolean_query(clauses)

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        words = fold(prefix).split()
        if not words or limit <= 0:
            return []
        key = (" ".join(words), limit)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return list(cached)
        found = self._suggest(words, limit)
        self._cache[key] = found
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return list(found)

    def _suggest(self, words: list[str], limit: int) -> list[Suggestion]:
        searcher = self._flush()
        found: dict[str, Suggestion] = {}
        # A typo can sit in any word long enough for one (the last as a prefix of 3+ letters).
        can_fuzz = len(words[-1]) >= MIN_FUZZY_PREFIX or any(len(w) >= 4 for w in words[:-1])
        for fuzzy in (False, True):
            if fuzzy and (len(found) >= limit or not can_fuzz):
                break
            hits = searcher.search(self._query(words, fuzzy), limit=limit * 3, order_by_field="weight").hits
            ranked = []
            for _, address in hits:
                key = str(searcher.doc(address).get_first("key") or "")
                entry = self._entries.get(key)
                if entry is not None and key not in found:
                    ranked.append((-entry.weight, KIND_ORDER[entry.kind], entry.text, key, entry))
            for neg, _, text, key, entry in sorted(ranked)[: limit - len(found)]:
                found[key] = Suggestion(text=text, kind=entry.kind, score=-neg)
        return list(found.values())[:limit]


class Lexicon:
    """The words of product titles, brands and categories with their document frequency."""

    def __init__(self) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("key", stored=True, tokenizer_name="raw")
        self._ix = _Lazy(builder.build())
        self.df: Counter[str] = Counter()

    def export(self) -> dict[str, int]:
        return dict(self.df)

    def restore(self, df: Mapping[str, int]) -> None:
        for word, count in df.items():
            self.df[word] = int(count)
            self._ix.add(tantivy.Document(key=word))
        self._ix.fresh()

    def add(self, words: Iterable[str]) -> None:
        for word in set(words):
            self.df[word] += 1
            if self.df[word] == 1:
                self._ix.add(tantivy.Document(key=word))

    def remove(self, words: Iterable[str]) -> None:
        for word in set(words):
            self.df[word] -= 1
            if self.df[word] <= 0:
                del self.df[word]
                self._ix.delete(word)

    def correct(self, word: str) -> str | None:
        """The most frequent known word within one edit (two for 8+ letters), else None."""
        if word in self.df:
            return word
        if len(word) < 4:
            return None
        searcher = self._ix.fresh()
        for distance in (1, 2) if len(word) >= 8 else (1,):
            q = tantivy.Query.fuzzy_term_query(self._ix.schema, "key", word, distance=distance)
            hits = searcher.search(q, limit=50).hits
            words = [str(searcher.doc(a).get_first("key")) for _, a in hits]
            known = [w for w in words if w in self.df]
            if known:
                return max(known, key=lambda w: (self.df[w], w))
        return None
