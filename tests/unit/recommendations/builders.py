"""Test data for the recommendations context: a catalog view over fixed items and a small
deterministic scorer that honours the `ItemScorer` port (fold-in = sum of item-item rows)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.ports.documents import DocumentStore
from shared.recommendations.experiments import Experiments
from shared.recommendations.interactions import InteractionStore
from shared.recommendations.popularity import PopularityFallback
from shared.recommendations.ports import CatalogItem, CatalogView, LiveScorer, ScorerSource
from shared.recommendations.service import RecsDeps


def item(pid: str, category: str = "c1", *, active: bool = True, in_stock: bool = True) -> CatalogItem:
    return CatalogItem(pid, f"Product {pid}", category, f"Category {category}", active, in_stock)


class FixedCatalog(CatalogView):
    def __init__(self, items: Sequence[CatalogItem]) -> None:
        self._items = {i.product_id: i for i in items}

    def items(self) -> Mapping[str, CatalogItem]:
        return dict(self._items)

    def lookup(self, product_id: str) -> CatalogItem | None:
        return self._items.get(product_id)

    def set(self, pid: str, **changes: object) -> None:
        self._items[pid] = replace(self._items[pid], **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rec:
    item_id: str
    score: float
    reason: object


@dataclass
class GraphScorer:
    """`links[a][b]`: how much liking a says about b; `popularity`: fallback order."""

    links: dict[str, dict[str, float]]
    popularity: list[str]
    categories: dict[str, str] = field(default_factory=dict)

    def recommend_from(
        self, history: Mapping[str, float], k: int, exclude: Collection[str] = ()
    ) -> list[Rec]:
        scores: dict[str, tuple[float, str]] = {}
        for src, w in history.items():
            for dst, link in self.links.get(src, {}).items():
                if dst in exclude or dst in history:
                    continue
                total = scores.get(dst, (0.0, src))[0] + w * link
                scores[dst] = (total, src)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])[:k]
        return [Rec(pid, s, ("similar_to", src)) for pid, (s, src) in ranked]

    def similar_to(self, item_id: str, k: int, exclude: Collection[str] = ()) -> list[Rec]:
        ranked = sorted(self.links.get(item_id, {}).items(), key=lambda kv: -kv[1])
        return [Rec(pid, s, "also_bought") for pid, s in ranked if pid not in exclude][:k]

    def popular(self, k: int, category: str | None = None, exclude: Collection[str] = ()) -> list[Rec]:
        out = [
            Rec(pid, 1.0 / (n + 1), ("popular_in", category) if category else "popular")
            for n, pid in enumerate(self.popularity)
            if pid not in exclude and (category is None or self.categories.get(pid) == category)
        ]
        return out[:k]


class StaticSource(ScorerSource):
    def __init__(self, scorer: object | None, version: str = "v-test") -> None:
        self.live = LiveScorer(scorer, version) if scorer is not None else None  # type: ignore[arg-type]

    def current(self) -> LiveScorer | None:
        return self.live


def deps_for(
    catalog: CatalogView,
    scorer: object | None,
    store: DocumentStore | None = None,
    *,
    tmp: Path | None = None,
) -> RecsDeps:
    if store is None:
        assert tmp is not None
        store = SqliteDocumentStore(tmp / "documents.db")
    interactions = InteractionStore(store, cache_seconds=lambda: 0.0)
    return RecsDeps(
        catalog=catalog,
        interactions=interactions,
        experiments=Experiments(store, cache_seconds=lambda: 0.0),
        scorers=StaticSource(scorer),
        popularity=PopularityFallback(interactions),
    )
