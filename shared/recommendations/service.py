"""Recommendation use cases: serve a list, record an interaction, read or erase a history.

Serving, per request (no I/O but the user's cached history and, once per new user in an
experiment, one exposure write): the catalog snapshot gives what may be shown (active and in
stock); the user's history gives the fold-in weights and the purchased products (never shown
again); the running experiment's variant picks the strategy; the champion model scores. With no
history (a new or anonymous user) or no model, popularity serves (`strategy: "popular"`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.kernel.errors import ValidationFailed
from shared.kernel.frozen import freeze_json
from shared.recommendations.experiments import Experiments
from shared.recommendations.feedback import CONVERSION_TYPES, history_weights, purchased
from shared.recommendations.interactions import InteractionStore
from shared.recommendations.popularity import PopularityFallback
from shared.recommendations.ports import (
    AccountDataEraser,
    CatalogItem,
    CatalogView,
    ItemScorer,
    LiveScorer,
    Recommendation,
    ScorerSource,
)
from shared.recommendations.schemas import RecommendationsPublic, RecommendedItem

ALSO_BOUGHT = "customers also bought"
MAX_CANDIDATES = 200
# The scorer masks excluded items itself; a few spare candidates cover items the model knows but
# the catalog no longer does (deleted since training). Asking for more costs reasons per item.
SPARE_CANDIDATES = 5


@dataclass
class RecsDeps:
    catalog: CatalogView
    interactions: InteractionStore
    experiments: Experiments
    scorers: ScorerSource
    popularity: PopularityFallback
    half_life_days: float = 30.0


@dataclass(frozen=True)
class Caller:
    user_id: str | None  # authenticated
    client_id: str | None  # anonymous client id (header or cookie), already checked

    @property
    def unit(self) -> str | None:
        """Who is assigned in experiments: the user, else the anonymous client."""
        if self.user_id:
            return self.user_id
        return f"anon:{self.client_id}" if self.client_id else None


# --- reasons -------------------------------------------------------------------------------------
def _reason_parts(reason: Any) -> tuple[str, str | None]:
    """(kind, reference) from a scorer's reason: "kind", "kind:ref", (kind, ref) or an object."""
    if isinstance(reason, str):
        kind, _, ref = reason.partition(":")
        return kind, ref or None
    if isinstance(reason, tuple | list) and reason:
        return str(reason[0]), (str(reason[1]) if len(reason) > 1 and reason[1] is not None else None)
    kind = str(getattr(reason, "kind", reason))
    for attr in ("item_id", "anchor", "source", "category", "ref"):
        value = getattr(reason, attr, None)
        if value:
            return kind, str(value)
    return kind, None


@dataclass(frozen=True)
class CatalogFacts:
    """What every request derives from one catalog snapshot, computed once per snapshot."""

    unavailable: frozenset[str]
    category_names: Mapping[str, str]
    # (scorer's reason, category hint) -> the text shown: it depends only on the snapshot's names,
    # and scorers share reason objects, so each is phrased once per snapshot, not once per item.
    reason_texts: dict[tuple[Any, str | None], str] = field(default_factory=dict)


MAX_REASON_TEXTS = 50_000


_facts_lock = threading.Lock()
_facts: tuple[Mapping[str, CatalogItem], CatalogFacts] | None = None


def catalog_facts(catalog: Mapping[str, CatalogItem]) -> CatalogFacts:
    global _facts
    cached = _facts
    if cached is not None and cached[0] is catalog:
        return cached[1]
    facts = CatalogFacts(
        unavailable=frozenset(pid for pid, item in catalog.items() if not item.servable),
        category_names={item.category_id: item.category_name for item in catalog.values()},
    )
    with _facts_lock:
        _facts = (catalog, facts)
    return facts


def reason_text(
    reason: Any,
    catalog: Mapping[str, CatalogItem],
    *,
    category_hint: str | None = None,
    category_names: Mapping[str, str] | None = None,
) -> str:
    kind, ref = _reason_parts(reason)
    if kind == "also_bought":
        return ALSO_BOUGHT
    if kind == "similar_to" and ref:
        item = catalog.get(ref)
        return f"similar to {item.name if item else ref}"
    if kind == "popular_in":
        category = ref or category_hint
        if category:
            names = category_names if category_names is not None else catalog_facts(catalog).category_names
            return f"popular in {names.get(category, category)}"
    return "popular"


# --- serving -------------------------------------------------------------------------------------
def _render(
    recs: Sequence[Recommendation],
    catalog: Mapping[str, CatalogItem],
    exclude: Collection[str],
    limit: int,
    *,
    category_hint: str | None = None,
) -> list[RecommendedItem]:
    out: list[RecommendedItem] = []
    seen: set[str] = set()
    facts = catalog_facts(catalog)
    names, texts = facts.category_names, facts.reason_texts
    for rec in recs:
        item = catalog.get(rec.item_id)
        # Filtered again here: the model's item table may hold products archived since training.
        if item is None or not item.servable or rec.item_id in exclude or rec.item_id in seen:
            continue
        seen.add(rec.item_id)
        key = (rec.reason, category_hint)
        try:
            text = texts.get(key)
        except TypeError:  # an unhashable reason (another scorer's): phrased every time
            text = reason_text(rec.reason, catalog, category_hint=category_hint, category_names=names)
        else:
            if text is None:
                text = reason_text(rec.reason, catalog, category_hint=category_hint, category_names=names)
                if len(texts) < MAX_REASON_TEXTS:
                    texts[key] = text
        out.append(RecommendedItem(product_id=rec.item_id, score=round(float(rec.score), 6), reason=text))
        if len(out) == limit:
            break
    return out


def _fallback_popular(
    deps: RecsDeps,
    catalog: Mapping[str, CatalogItem],
    exclude: Collection[str],
    limit: int,
    category: str | None,
) -> list[RecommendedItem]:
    """Popularity without a model: recent interaction weights, then the catalog's order."""
    ranking = deps.popularity.ranking()
    out: list[RecommendedItem] = []
    ids = [pid for pid, _ in ranking] + sorted(catalog, key=lambda pid: (catalog[pid].name, pid))
    scores = dict(ranking)
    for pid in dict.fromkeys(ids):
        item = catalog.get(pid)
        if item is None or not item.servable or pid in exclude:
            continue
        if category and item.category_id != category:
            continue
        reason = f"popular in {item.category_name}" if category else "popular"
        out.append(RecommendedItem(product_id=pid, score=round(scores.get(pid, 0.0), 6), reason=reason))
        if len(out) == limit:
            break
    return out


def _popular(
    scorer: ItemScorer | None,
    deps: RecsDeps,
    catalog: Mapping[str, CatalogItem],
    exclude: set[str],
    limit: int,
    category: str | None = None,
) -> list[RecommendedItem]:
    if scorer is None:
        return _fallback_popular(deps, catalog, exclude, limit, category)
    k = min(limit + SPARE_CANDIDATES, MAX_CANDIDATES)
    recs = scorer.popular(k, category=category, exclude=exclude)
    items = _render(recs, catalog, exclude, limit, category_hint=category)
    return items or _fallback_popular(deps, catalog, exclude, limit, category)


_derived_lock = threading.Lock()
_derived: dict[str, tuple[object, dict[str, float], frozenset[str]]] = {}
MAX_DERIVED = 20_000


def _history_facts(deps: RecsDeps, user_id: str | None) -> tuple[object, dict[str, float], frozenset[str]]:
    """(the cached history object, fold-in weights, purchased) of the user's history, derived once
    per cached history (the decay moves by a second's worth meanwhile: nothing a ranking notices)."""
    if not user_id:
        return None, {}, frozenset()
    history = deps.interactions.history(user_id)
    cached = _derived.get(user_id)
    if cached is not None and cached[0] is history:
        return cached
    weights = history_weights(history, datetime.now(UTC), half_life_days=deps.half_life_days)
    entry = (history, weights, frozenset(purchased(history)))
    with _derived_lock:
        if len(_derived) >= MAX_DERIVED:
            _derived.clear()
        _derived[user_id] = entry
    return entry


# Responses, remembered per question and recomputed when any input changed. The inputs are
# compared by identity: the catalog snapshot, the scorer and the user's cached history are
# replaced (never mutated) when they change, so "the same objects" means the same answer. A
# popular list or a product page is shared by every anonymous caller; a personal list lives as
# long as the user's cached history object (kept while a re-read finds it unchanged, replaced on
# their own writes). A remembered response is frozen (`freeze_json`): a hit sends its bytes
# without serializing again, and nobody may mutate it.
#
# A personal question is remembered the second time it is asked with the same inputs; the first
# time only leaves a marker. A response is ~50 objects the garbage collector tracks (pydantic
# models, their field sets, the list): remembering every one-off visitor's list made full
# collections walk hundreds of thousands of objects that nobody would read again
# (docs/recommendations.md). A shared question (a product page or the popular list of a caller
# with no purchases: the same answer for every such caller, at most a few per product) is
# remembered the first time: asking it twice meant computing every page twice after each new
# snapshot, and those computations came in a burst (the first visitors after a change), the slowest
# 1 % of the product page's requests (docs/recommendations.md "Round 4: the product page's tail").
_lists_lock = threading.Lock()
_lists: dict[tuple[Any, ...], tuple[tuple[object, ...], RecommendationsPublic | None]] = {}
MAX_LISTS = 5_000  # ~15 KB each (20 items, the models and their JSON): bounded at ~75 MB


def _memo(
    key: tuple[Any, ...],
    inputs: tuple[object, ...],
    compute: Callable[[], RecommendationsPublic],
    *,
    shared: bool = False,
) -> RecommendationsPublic:
    hit = _lists.get(key)
    asked_before = shared or (hit is not None and all(a is b for a, b in zip(hit[0], inputs, strict=True)))
    if (
        asked_before
        and hit is not None
        and hit[1] is not None
        and all(a is b for a, b in zip(hit[0], inputs, strict=True))
    ):
        return hit[1]
    response = compute()
    if asked_before:
        freeze_json(response)
    with _lists_lock:
        if len(_lists) >= MAX_LISTS:
            _lists.clear()
        _lists[key] = (inputs, response if asked_before else None)
    return response


def forget_lists() -> None:
    """For tests and benchmarks: the next request computes every list again."""
    with _lists_lock:
        _lists.clear()
    with _derived_lock:
        _derived.clear()


def recommend(
    deps: RecsDeps, caller: Caller, *, product_id: str | None = None, limit: int = 20
) -> RecommendationsPublic:
    """The response for this caller. With a model it may be a remembered, frozen object shared
    with other callers: read it, never change it."""
    catalog = deps.catalog.items()
    history, weights, bought = _history_facts(deps, caller.user_id)
    live = deps.scorers.current()
    scorer = live.scorer if live else None
    version = live.version if live else None

    def exclusions() -> set[str]:
        return set(bought | catalog_facts(catalog).unavailable)

    if product_id is not None:
        anchor = deps.catalog.lookup(product_id)
        if anchor is None:
            raise ValidationFailed.field("productId", "no such product", code="unknown_product")

        def product_page() -> RecommendationsPublic:
            exclude = exclusions()
            exclude.add(product_id)
            if scorer is not None:
                k = min(limit + SPARE_CANDIDATES, MAX_CANDIDATES)
                found = _render(scorer.similar_to(product_id, k, exclude=exclude), catalog, exclude, limit)
                if found:
                    return RecommendationsPublic(items=found, strategy="also_bought", model_version=version)
            items = _popular(scorer, deps, catalog, exclude, limit, category=anchor.category_id)
            return RecommendationsPublic(items=items, strategy="popular", model_version=version)

        page_key = ("page", product_id, limit, bought, version)
        return _cached(page_key, (catalog, scorer), scorer, product_page, shared=not bought)

    assignment = deps.experiments.assignment(caller.unit)
    config: Mapping[str, Any] = assignment.config if assignment else {}
    wanted = str(config.get("strategy") or "hybrid")
    blend = config.get("blend")
    variant = assignment.variant if assignment else None

    def personal() -> RecommendationsPublic:
        exclude = exclusions()
        found: list[RecommendedItem] = []
        strategy = wanted
        if live is not None and weights and wanted != "popular":
            found = _personal(deps, live, weights, exclude, limit, catalog, wanted, blend)
        if not found:
            found, strategy = _popular(scorer, deps, catalog, exclude, limit), "popular"
        return RecommendationsPublic(items=found, strategy=strategy, variant=variant, model_version=version)

    if weights and wanted != "popular":
        key: tuple[Any, ...] = ("user", caller.user_id, limit, wanted, _frozen(blend), variant, version)
        response = _cached(key, (catalog, scorer, history), scorer, personal)
    else:  # cold start (or a variant that asks for popularity): shared by everyone with these exclusions
        popular_key = ("popular", limit, bought, variant, version)
        response = _cached(popular_key, (catalog, scorer), scorer, personal, shared=not bought)
    if assignment is not None and caller.unit is not None:
        deps.experiments.record_exposure(assignment, caller.unit)
    return response


def _cached(
    key: tuple[Any, ...],
    inputs: tuple[object, ...],
    scorer: ItemScorer | None,
    compute: Callable[[], RecommendationsPublic],
    *,
    shared: bool = False,
) -> RecommendationsPublic:
    """Without a model the fallback popularity moves by itself (recomputed every few minutes):
    computed every time then (a fresh deployment, before the first training)."""
    if scorer is None:
        return compute()
    return _memo(key, inputs, compute, shared=shared)


def _frozen(blend: Any) -> Any:
    return tuple(sorted(blend.items())) if isinstance(blend, Mapping) else blend


# What a variant's `strategy` means as blend weights of the one model (hybrid: as trained).
STRATEGY_BLENDS: Mapping[str, Mapping[str, float]] = {
    "collaborative": {"collaborative": 1.0, "content": 0.0, "popularity": 0.0},
    "content": {"collaborative": 0.0, "content": 1.0, "popularity": 0.0},
}


def _personal(
    deps: RecsDeps,
    live: LiveScorer,
    weights: Mapping[str, float],
    exclude: set[str],
    limit: int,
    catalog: Mapping[str, CatalogItem],
    strategy: str,
    blend: Mapping[str, float] | None,
) -> list[RecommendedItem]:
    k = min(limit + SPARE_CANDIDATES, MAX_CANDIDATES)
    chosen = blend or STRATEGY_BLENDS.get(strategy)
    scorer = deps.scorers.blended(live, chosen) if chosen else live.scorer
    return _render(scorer.recommend_from(dict(weights), k, exclude=exclude), catalog, exclude, limit)


# --- interactions --------------------------------------------------------------------------------
def record_interaction(deps: RecsDeps, *, user_id: str, product_id: str, kind: str) -> str:
    if deps.catalog.lookup(product_id) is None:
        raise ValidationFailed.field("productId", "no such product", code="unknown_product")
    interaction_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    deps.interactions.record(
        user_id=user_id, product_id=product_id, kind=kind, at=now, interaction_id=interaction_id
    )
    if kind in CONVERSION_TYPES:
        deps.experiments.record_conversion(user_id, at=now)
    return interaction_id


def erase_user(deps: RecsDeps, user_id: str) -> int:
    """The user's interactions and experiment units (what `AccountDataEraser` promises)."""
    return deps.interactions.erase_user(user_id) + deps.experiments.erase_unit(user_id)


@dataclass(frozen=True)
class HistoryEraser(AccountDataEraser):
    """What account deletion (`DELETE /api/me`, registered by the composition root) calls here.
    `deps` is a getter, so the context's parts are built on the first deletion, not before."""

    deps: Callable[[], RecsDeps]

    def erase_user(self, user_id: str) -> int:
        return erase_user(self.deps(), user_id)


def history_page(
    deps: RecsDeps, user_id: str, *, limit: int, token: str | None
) -> tuple[list[dict], str | None]:
    try:
        return deps.interactions.page(user_id, limit=limit, continuation_token=token)
    except ValueError:
        if not token:
            raise
        raise ValidationFailed.field("continuationToken", "not a token this list returned") from None
