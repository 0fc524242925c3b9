"""Per-row product facts as numpy columns: the filters and facet counts of a search in O(n)
vector operations, without touching the keyword engine or Python objects per product."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from shared.search.engine.types import FacetCount, Facets, PriceBand, SearchDocument

MICROS = Decimal(1_000_000)
# Price bands of the facet (lower bounds, in currency units); the last one is open-ended.
DEFAULT_PRICE_BANDS = (0, 10, 25, 50, 100, 250, 500)


def to_micros(price: Decimal | str) -> int:
    return int(Decimal(str(price)) * MICROS)


class Codes:
    """Interning of ids (category, brand) to small ints, with their display names."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.names: list[str] = []
        self._code: dict[str, int] = {}

    def code(self, key: str, name: str) -> int:
        code = self._code.get(key)
        if code is None:
            code = self._code[key] = len(self.ids)
            self.ids.append(key)
            self.names.append(name)
        elif name:
            self.names[code] = name
        return code

    def lookup(self, keys: Sequence[str]) -> np.ndarray:
        return np.array([self._code[k] for k in keys if k in self._code], dtype=np.int32)


class Columns:
    def __init__(self, capacity: int = 1024, price_bands: Sequence[int] = DEFAULT_PRICE_BANDS):
        self.size = 0
        self.live = np.zeros(capacity, dtype=bool)
        self.category = np.zeros(capacity, dtype=np.int32)
        self.brand = np.zeros(capacity, dtype=np.int32)
        self.price = np.zeros(capacity, dtype=np.int64)
        self.in_stock = np.zeros(capacity, dtype=bool)
        self.popularity = np.zeros(capacity, dtype=np.float64)
        self.categories = Codes()
        self.brands = Codes()
        self.band_edges = np.array([b * 1_000_000 for b in price_bands], dtype=np.int64)
        self.generation = 0  # bumped by every write: results cached with a filter mask go stale

    def _grow(self, rows: int) -> None:
        if rows <= len(self.live):
            return
        new = max(rows, 2 * len(self.live))
        for name in ("live", "category", "brand", "price", "in_stock", "popularity"):
            old = getattr(self, name)
            grown = np.zeros(new, dtype=old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)

    def set(self, row: int, doc: SearchDocument) -> None:
        self.generation += 1
        self._grow(row + 1)
        self.size = max(self.size, row + 1)
        self.live[row] = doc.searchable
        self.category[row] = self.categories.code(doc.category_id, doc.category)
        self.brand[row] = self.brands.code(doc.brand_id, doc.brand)
        self.price[row] = to_micros(doc.price)
        self.in_stock[row] = doc.in_stock
        self.popularity[row] = doc.popularity

    ARRAYS = ("live", "category", "brand", "price", "in_stock", "popularity")

    def export(self) -> tuple[dict[str, np.ndarray], dict[str, list[list[str]]]]:
        """The arrays (trimmed to size) and the code tables, for snapshots."""
        arrays = {name: getattr(self, name)[: self.size].copy() for name in self.ARRAYS}
        tables = {
            "categories": [self.categories.ids, self.categories.names],
            "brands": [self.brands.ids, self.brands.names],
        }
        return arrays, tables

    def restore(self, arrays: dict[str, np.ndarray], tables: dict[str, list[list[str]]]) -> None:
        size = len(arrays["live"])
        self._grow(size)
        for name in self.ARRAYS:
            getattr(self, name)[:size] = arrays[name]
        self.size = size
        self.generation += 1
        for table, (ids, names) in ((self.categories, tables["categories"]), (self.brands, tables["brands"])):
            for key, name in zip(ids, names, strict=True):
                table.code(key, name)

    def clear(self, row: int) -> None:
        self.generation += 1
        if row < self.size:
            self.live[row] = False

    def mask(
        self,
        *,
        category_ids: Sequence[str] = (),
        brand_ids: Sequence[str] = (),
        min_micros: int | None = None,
        max_micros: int | None = None,
        in_stock_only: bool = False,
    ) -> np.ndarray:
        n = self.size
        keep = self.live[:n].copy()
        if category_ids:
            keep &= np.isin(self.category[:n], self.categories.lookup(category_ids))
        if brand_ids:
            keep &= np.isin(self.brand[:n], self.brands.lookup(brand_ids))
        if min_micros is not None:
            keep &= self.price[:n] >= min_micros
        if max_micros is not None:
            keep &= self.price[:n] <= max_micros
        if in_stock_only:
            keep &= self.in_stock[:n]
        return keep

    def facets(self, rows: np.ndarray) -> Facets:
        return Facets(
            category=self._counts(self.category[rows], self.categories),
            brand=self._counts(self.brand[rows], self.brands),
            price=self._bands(self.price[rows]),
        )

    @staticmethod
    def _counts(codes: np.ndarray, table: Codes) -> list[FacetCount]:
        counts = np.bincount(codes, minlength=len(table.ids))
        present = np.flatnonzero(counts)
        order = sorted(present, key=lambda c: (-counts[c], table.ids[c]))
        return [FacetCount(id=table.ids[c], name=table.names[c], count=int(counts[c])) for c in order]

    def _bands(self, prices: np.ndarray) -> list[PriceBand]:
        edges = self.band_edges
        index = np.searchsorted(edges, prices, side="right") - 1
        counts = np.bincount(np.clip(index, 0, len(edges) - 1), minlength=len(edges))
        bands = []
        for i, count in enumerate(counts):
            if count:
                upper = Decimal(int(edges[i + 1])) / MICROS if i + 1 < len(edges) else None
                bands.append(PriceBand(min=Decimal(int(edges[i])) / MICROS, max=upper, count=int(count)))
        return bands
