"""How a SearchDocument feeds each part of the index (keyword engine, suggester, lexicon), and its
plain-JSON form for snapshots."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.search.engine.columns import to_micros
from shared.search.engine.keyword import KeywordDoc
from shared.search.engine.suggest import fold
from shared.search.engine.types import SearchDocument, SuggestionKind


def attribute_text(doc: SearchDocument) -> str:
    return " ".join(f"{k} {v}" for k, v in sorted(doc.attributes.items()) if isinstance(v, str | int | float))


def keyword_doc(row: int, doc: SearchDocument) -> KeywordDoc:
    return KeywordDoc(
        row=row,
        product_id=doc.product_id,
        name=doc.name,
        brand=doc.brand,
        category=doc.category,
        description=doc.description,
        attributes=attribute_text(doc),
        category_id=doc.category_id,
        brand_id=doc.brand_id,
        price_micros=to_micros(doc.price),
    )


def keyword_view(doc: SearchDocument | None) -> tuple[Any, ...] | None:
    """What the keyword engine indexes: a change here (and only here) rewrites its document."""
    if doc is None or not doc.searchable:
        return None
    return (
        doc.name,
        doc.brand,
        doc.category,
        doc.description,
        attribute_text(doc),
        doc.category_id,
        doc.brand_id,
        to_micros(doc.price),
    )


def suggestions(doc: SearchDocument) -> list[tuple[str, SuggestionKind, float]]:
    """A product's contribution to autocomplete; 1 + popularity so that, in a shop with no
    traffic yet, brands and categories with more products come first."""
    if not doc.searchable:
        return []
    weight = 1.0 + max(0.0, doc.popularity)
    out: list[tuple[str, SuggestionKind, float]] = [(doc.name, "product", weight)]
    if doc.brand:
        out.append((doc.brand, "brand", weight))
    if doc.category:
        out.append((doc.category, "category", weight))
    return out


def lexicon_words(doc: SearchDocument | None) -> list[str]:
    if doc is None or not doc.searchable:
        return []
    return fold(f"{doc.name} {doc.brand} {doc.category}").split()


def to_json(doc: SearchDocument) -> dict[str, Any]:
    return {
        "productId": doc.product_id,
        "name": doc.name,
        "price": str(doc.price),
        "brandId": doc.brand_id,
        "brand": doc.brand,
        "categoryId": doc.category_id,
        "category": doc.category,
        "description": doc.description,
        "attributes": {k: v for k, v in doc.attributes.items() if isinstance(v, str | int | float | bool)},
        "status": doc.status,
        "inStock": doc.in_stock,
        "popularity": doc.popularity,
    }


_FIELDS = (
    ("product_id", "productId"),
    ("name", "name"),
    ("brand_id", "brandId"),
    ("brand", "brand"),
    ("category_id", "categoryId"),
    ("category", "category"),
    ("description", "description"),
    ("attributes", "attributes"),
    ("status", "status"),
    ("in_stock", "inStock"),
)


def from_json(data: dict[str, Any]) -> SearchDocument:
    """The inverse of to_json. Fills the frozen dataclass's fields directly: its __init__ (one
    object.__setattr__ per field) was a third of a 100k snapshot load."""
    doc = object.__new__(SearchDocument)
    fields = {attr: data[key] for attr, key in _FIELDS}
    fields["price"] = Decimal(data["price"])
    fields["popularity"] = float(data["popularity"])
    doc.__dict__.update(fields)
    return doc
