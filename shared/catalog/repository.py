"""Catalog persistence: products (partition `/productId`), categories and brands (each `/id`).

Product writes go through the outbox so the product and its events commit together. The outbox
puts its entries in the product's partition, so that partition must hold more than one document:
hence `/productId` (a copy of `id`) rather than `/id`, where a partition is exactly one document.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.catalog.model import to_micros
from shared.catalog.schemas import ProductListQuery
from shared.kernel.errors import ValidationFailed
from shared.messaging.events import CloudEvent
from shared.messaging.outbox import NOT_OUTBOX, register_outbox
from shared.ports.documents import Container, Document, DocumentNotFound, DocumentStore, Filter, Page, Query
from shared.storage.containers import open_container, query_page
from shared.storage.repository import DocumentRepository

PRODUCTS = "products"
CATEGORIES = "categories"
BRANDS = "brands"
PRODUCTS_PK = "/productId"
PK = "/id"
register_outbox(PRODUCTS, PRODUCTS_PK)
# The listing filters on status (and maybe category or brand) and sorts by name: the composite
# ("a,b") indexes let the embedded store walk a filter's matches already in name order and stop
# after one page; with only single-path indexes it read and sorted every active product per page.
# `docType` too: on the embedded store every declared path is a column of the table
# (sqlite_container.py), and a listing's filters then never parse a product's JSON text.
PRODUCT_INDEXES = (
    "docType",
    "status",
    "categoryId",
    "brandId",
    "priceMicros",
    "name",
    "status,name",
    "categoryId,name",
    "brandId,name",
)


class CatalogRepository:
    def __init__(self, store: DocumentStore) -> None:
        self.products = open_container(store, PRODUCTS, PRODUCTS_PK, PRODUCT_INDEXES)
        self.categories = open_container(store, CATEGORIES, PK, ("name", "slug"))
        self.brands = open_container(store, BRANDS, PK, ("name", "slug"))
        self._products = DocumentRepository(self.products, "product")

    # --- products -------------------------------------------------------------------------------
    def get_product(self, product_id: str) -> Document | None:
        return self._products.get(product_id)

    def create_product(self, doc: Document, events: Sequence[CloudEvent]) -> Document:
        return self._products.create(doc, events)

    def replace_product(self, doc: Document, *, if_match: str, events: Sequence[CloudEvent]) -> Document:
        return self._products.replace(doc, if_match=if_match, events=events)

    def list_products(
        self,
        query: ProductListQuery,
        *,
        categories: Sequence[str] | None = None,
        brands: Sequence[str] | None = None,
    ) -> Page:
        """`categories` / `brands`: the ids the filters resolved to (catalog.listing)."""
        return query_page(
            self.products,
            _listing(query, categories, brands),
            max_items=query.limit,
            continuation_token=query.continuation_token,
        )

    def list_product_versions(
        self,
        query: ProductListQuery,
        *,
        categories: Sequence[str] | None = None,
        brands: Sequence[str] | None = None,
    ) -> Page:
        """`list_products`' page as `{id, _pk, _etag}` items (the store's `query_versions`): the
        same rows and continuation token, without the bodies."""
        try:
            return self.products.query_versions(
                _listing(query, categories, brands),
                max_items=query.limit,
                continuation_token=query.continuation_token,
            )
        except ValueError:  # as query_page: a token of another query is the client's mistake
            if not query.continuation_token:
                raise
            raise ValidationFailed.field("continuationToken", "not a token this list returned") from None

    # --- categories and brands ------------------------------------------------------------------
    def taxon_container(self, kind: str) -> Container:
        return self.categories if kind == "category" else self.brands

    def get_taxon(self, kind: str, taxon_id: str) -> Document | None:
        try:
            return dict(self.taxon_container(kind).read(taxon_id, taxon_id))
        except DocumentNotFound:
            return None

    def taxa_with_slug(self, kind: str, slug: str) -> list[str]:
        """Ids of the categories (brands) whose slug is `slug` (names are not unique)."""
        query = Query(where=(Filter("slug", "=", slug),))
        return [str(doc["id"]) for doc in self.taxon_container(kind).query_all(query)]

    def create_taxon(self, kind: str, doc: Document) -> Document:
        return dict(self.taxon_container(kind).create(doc))

    def list_taxa(self, kind: str, *, limit: int, continuation_token: str | None) -> Page:
        query = Query(order_by=(("name", "asc"),))
        return query_page(
            self.taxon_container(kind), query, max_items=limit, continuation_token=continuation_token
        )


def _listing(
    query: ProductListQuery, categories: Sequence[str] | None, brands: Sequence[str] | None
) -> Query:
    """The store query of a product listing (active products by name, the filters given)."""
    where: list[Filter] = [Filter("docType", "=", "product"), Filter("status", "=", "active"), NOT_OUTBOX]
    for path, ids in (("categoryId", categories), ("brandId", brands)):
        if ids:
            # One id (the usual case) keeps the "<path>,name" index walk.
            where.append(Filter(path, "=", ids[0]) if len(ids) == 1 else Filter(path, "in", tuple(ids)))
    if query.min_price is not None:
        where.append(Filter("priceMicros", ">=", to_micros(query.min_price)))
    if query.max_price is not None:
        where.append(Filter("priceMicros", "<=", to_micros(query.max_price)))
    return Query(where=tuple(where), order_by=(("name", "asc"),))
