"""The search context's ports: what the routes and handlers call, and what it needs from others.

- `SearchBackend`: the search engine behind the context. The embedded adapter
  (`shared.search.embedded.EmbeddedSearch`: tantivy + int8 MiniLM vectors in the worker, snapshots
  in the blob store) is the one that runs today; an Azure AI Search adapter implements the same
  methods against a service index (docs/search.md, "When to move to Azure AI Search", maps each
  method onto the service's REST API). Requests and results are the engine's plain value types.
- `TasteSource`: a shopper's taste beyond their saved favourite categories, e.g. the
  recommendation model's user factors. The recommendations context provides one; until it does,
  `NoTaste` answers None and personalization uses the favourite categories only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the engine (tantivy) loads with the backend, not with the routes
    from shared.search.engine.types import SearchRequest, SearchResult, Suggestion

ItemScorer = Callable[[Sequence[str]], Sequence[float]]


@dataclass(frozen=True)
class RebuildReport:
    products: int
    seconds: float
    snapshot_id: str | None


class SearchBackend(Protocol):
    def search(self, request: SearchRequest) -> SearchResult:
        """One page of results with facets and total; ValueError for a bad request (the 422)."""
        ...

    def suggest(self, prefix: str, limit: int) -> list[Suggestion]: ...

    def did_you_mean(self, query: str) -> str | None: ...

    def refresh(self, product_ids: Sequence[str], at: str | None = None) -> None:
        """These products changed (their change-log markers say `at`): re-read and re-index them."""
        ...

    def rebuild(self) -> RebuildReport:
        """A full rebuild from the catalog, swapped in atomically when complete."""
        ...

    def set_popular_queries(self, counts: dict[str, int]) -> None: ...

    def warm(self, *, wait: bool = False) -> None:
        """Start loading what a search needs in the background, without waiting (the embedded
        index at a worker's first event; a service adapter has nothing to load); `wait`: load it
        now and return when it is complete (tests, tools)."""
        ...


class TasteSource(Protocol):
    def item_scorer(self, user_id: str) -> ItemScorer | None:
        """Scores in [-1, 1] for product ids from the user's taste, or None when unknown."""
        ...


class NoTaste:
    """The stand-in until the recommendations context binds its user factors."""

    def item_scorer(self, user_id: str) -> ItemScorer | None:
        return None
