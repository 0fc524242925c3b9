"""Shared pieces of the search engine tests: the real int8 MiniLM and the 300-product demo index."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from bench.search_catalog import demo_documents
from models.embeddings import MiniLMEncoder
from shared.search.engine import SearchDocument, SearchIndex


class CountingEncoder:
    """The real encoder, counting the texts it was asked to embed."""

    def __init__(self, inner: MiniLMEncoder):
        self.inner = inner
        self.dimension = inner.dimension
        self.model_id = inner.model_id
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)


@pytest.fixture(scope="session")
def encoder() -> MiniLMEncoder:
    enc = MiniLMEncoder(intra_op_threads=1)
    enc.load()
    return enc


@pytest.fixture(scope="session")
def demo_index(encoder: MiniLMEncoder) -> Iterator[SearchIndex]:
    """Read-only: tests that write build their own small index."""
    index = SearchIndex.build(demo_documents(), encoder)
    yield index
    index.close()


@pytest.fixture
def counting(encoder: MiniLMEncoder) -> CountingEncoder:
    return CountingEncoder(encoder)


def product(
    pid: str,
    name: str,
    *,
    category: str = "Kitchen",
    brand: str = "Northwind",
    price: str = "20.00",
    **kw: object,
) -> SearchDocument:
    return SearchDocument(
        product_id=pid,
        name=name,
        price=price,
        brand_id=f"brand-{brand.lower()}",
        brand=brand,
        category_id=f"cat-{category.lower()}",
        category=category,
        description=str(kw.pop("description", f"The {name.lower()}.")),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def small(counting: CountingEncoder) -> Iterator[SearchIndex]:
    index = SearchIndex.build(
        [
            product("k1", "Northwind Classic Kettle", popularity=50),
            product("k2", "Contoso Electric Kettle", brand="Contoso", price="45.00", popularity=80),
            product("p1", "Northwind Frying Pan", price="30.00", popularity=10),
            product(
                "t1",
                "Tailspin Trail Tent",
                category="Outdoor",
                brand="Tailspin",
                price="220.00",
                popularity=30,
            ),
            product(
                "h1", "Tailspin Headlamp", category="Outdoor", brand="Tailspin", price="25.00", popularity=5
            ),
        ],
        counting,
    )
    yield index
    index.close()
