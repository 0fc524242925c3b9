"""The engine's value types: what goes in (documents, requests, preferences) and what comes out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol

import numpy as np

Mode = Literal["keyword", "semantic", "hybrid"]
Sort = Literal["relevance", "price_asc", "price_desc", "popularity"]
SuggestionKind = Literal["query", "product", "brand", "category"]


class SearchEngineError(Exception):
    """Base of the engine's own errors."""


class SnapshotCorrupt(SearchEngineError, ValueError):
    """A snapshot that is truncated, altered or of an unknown format: rebuild from the catalog."""


class InvalidPageToken(SearchEngineError, ValueError):
    """A continuation token that is malformed or belongs to another query (the caller's 400)."""


class TextEncoder(Protocol):
    """What the engine needs from an embedding model (models.embeddings.MiniLMEncoder is one)."""

    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32 unit vectors."""
        ...


@dataclass(frozen=True)
class SearchDocument:
    """One product as the index sees it; `price` is exact (Decimal or a decimal string)."""

    product_id: str
    name: str
    price: Decimal | str
    brand_id: str = ""
    brand: str = ""
    category_id: str = ""
    category: str = ""
    description: str = ""
    attributes: Mapping[str, object] = field(default_factory=dict)
    status: str = "active"  # anything but "active" (archived, draft) is never returned
    in_stock: bool = True
    popularity: float = 0.0

    @property
    def searchable(self) -> bool:
        return self.status == "active"

    def embedding_text(self) -> str:
        """What the semantic side embeds: the title and its category (descriptions are boilerplate
        in most catalogs and would dilute a short query's match; see docs/search.md)."""
        parts = [self.name, self.category] if self.category else [self.name]
        return ". ".join(p for p in parts if p)


@dataclass(frozen=True)
class Preference:
    """A shopper's taste, for re-ranking the top of a result list (personalization).

    category_weights / brand_weights: id -> weight in [-1, 1] (e.g. share of the user's purchases).
    vector: a unit vector in the embedding space (e.g. the mean of viewed products' vectors).
    item_scorer: product ids -> scores in [-1, 1] (e.g. the recommender's user x item factors).
    """

    category_weights: Mapping[str, float] = field(default_factory=dict)
    brand_weights: Mapping[str, float] = field(default_factory=dict)
    vector: np.ndarray | None = None
    item_scorer: Callable[[Sequence[str]], Sequence[float]] | None = None
    weight: float = 0.3  # how far taste may move relevance (0 = off)


@dataclass(frozen=True)
class SearchRequest:
    query: str
    mode: Mode = "hybrid"
    category_ids: Sequence[str] = ()
    brand_ids: Sequence[str] = ()
    min_price: Decimal | str | None = None
    max_price: Decimal | str | None = None
    in_stock_only: bool = False
    sort: Sort = "relevance"
    limit: int = 20
    offset: int = 0
    preference: Preference | None = None


@dataclass(frozen=True)
class SearchHit:
    product_id: str
    name: str
    score: float
    category_id: str
    brand_id: str
    price: Decimal
    in_stock: bool


@dataclass(frozen=True)
class FacetCount:
    id: str
    name: str
    count: int


@dataclass(frozen=True)
class PriceBand:
    min: Decimal
    max: Decimal | None  # None: open-ended top band
    count: int


@dataclass(frozen=True)
class Facets:
    category: list[FacetCount]
    brand: list[FacetCount]
    price: list[PriceBand]


@dataclass(frozen=True)
class SearchResult:
    items: list[SearchHit]
    total: int
    total_exact: bool  # False only when a keyword match set was capped (see SearchIndex.max_matches)
    facets: Facets
    offset: int
    next_offset: int | None
    did_you_mean: str | None = None
    mode: Mode = "hybrid"


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: SuggestionKind
    score: float
