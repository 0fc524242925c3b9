"""What the recommendations context needs from outside, as small typed ports.

- `CatalogView`: the products a recommendation may show (name, category, archived, in stock):
  read from the catalog and inventory contexts by an adapter (`catalog_view.py`), never by
  importing their services into the serving path.
- `ItemScorer`: the serving model (`models.recommend.RecsScorer` implements it): scores items for
  a history of weighted interactions (fold-in, no retraining), item-to-item neighbours, popularity.
- `ScorerSource`: the champion scorer of this process and its registry version.
- `AccountDataEraser`: what the users context (or an admin tool) calls to erase a user's data here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class CatalogItem:
    product_id: str
    name: str
    category_id: str
    category_name: str
    active: bool  # False once archived
    in_stock: bool  # some sku of it has stock available

    @property
    def servable(self) -> bool:
        return self.active and self.in_stock


class CatalogView(ABC):
    @abstractmethod
    def items(self) -> Mapping[str, CatalogItem]:
        """Every product by id (archived ones too, flagged): a snapshot, refreshed by the adapter."""

    @abstractmethod
    def lookup(self, product_id: str) -> CatalogItem | None:
        """One product, read through if the snapshot does not know it yet (a product just created)."""

    def invalidate(self) -> None:  # noqa: B027 - optional override
        """Drop the snapshot (tests; after this instance archived a product)."""


class Recommendation(Protocol):
    """What a scorer returns per item. `reason` is a kind ("also_bought", "similar_to",
    "popular_in", "popular"), optionally with the anchor item or category it refers to."""

    @property
    def item_id(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def reason(self) -> Any: ...


class ItemScorer(Protocol):
    def recommend_from(
        self, history: Mapping[str, float], k: int, exclude: Collection[str] = ...
    ) -> Sequence[Recommendation]: ...

    def similar_to(
        self, item_id: str, k: int, exclude: Collection[str] = ...
    ) -> Sequence[Recommendation]: ...

    def popular(
        self, k: int, category: str | None = None, exclude: Collection[str] = ...
    ) -> Sequence[Recommendation]: ...


@dataclass(frozen=True)
class LiveScorer:
    scorer: ItemScorer
    version: str


class ScorerSource(ABC):
    @abstractmethod
    def current(self) -> LiveScorer | None:
        """The champion of this process, or None while no recommendation model is promoted."""

    def blended(self, live: LiveScorer, blend: Mapping[str, float]) -> ItemScorer:
        """The same model with other blend weights (`collaborative`, `content`, `popularity`) for
        an experiment variant; sources that cannot re-blend serve the model as trained."""
        return live.scorer


class AccountDataEraser(ABC):
    @abstractmethod
    def erase_user(self, user_id: str) -> int:
        """Delete everything this context keeps about `user_id`; returns how many records went."""
