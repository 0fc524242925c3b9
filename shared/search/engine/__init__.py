"""The embedded search engine: keyword (tantivy) + semantic (int8 MiniLM vectors) + hybrid (RRF),
filters, facets, paging, autocomplete, did-you-mean, personalization, snapshots.

Pure: no storage, settings, HTTP or Azure SDK imports. The search context's port wraps it as the
embedded adapter (an Azure AI Search adapter can sit behind the same port; docs/search.md).
Importing this package costs ~30 ms (tantivy); the embedding model loads on the first query.
"""

from shared.search.engine.holder import IndexHolder
from shared.search.engine.index import IndexOptions, SearchIndex
from shared.search.engine.paging import decode_token, encode_token
from shared.search.engine.types import (
    FacetCount,
    Facets,
    InvalidPageToken,
    Preference,
    PriceBand,
    SearchDocument,
    SearchEngineError,
    SearchHit,
    SearchRequest,
    SearchResult,
    SnapshotCorrupt,
    Suggestion,
    TextEncoder,
)

__all__ = [
    "FacetCount",
    "Facets",
    "IndexHolder",
    "IndexOptions",
    "InvalidPageToken",
    "Preference",
    "PriceBand",
    "SearchDocument",
    "SearchEngineError",
    "SearchHit",
    "SearchIndex",
    "SearchRequest",
    "SearchResult",
    "SnapshotCorrupt",
    "Suggestion",
    "TextEncoder",
    "decode_token",
    "encode_token",
]
