"""A shopper's preference for re-ranking: favourite categories (their saved preferences) plus the
recommendation model's user factors when the recommendations context provides them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.ports.documents import DocumentStore
from shared.search.ports import TasteSource
from shared.users.directory import find_profile

if TYPE_CHECKING:
    from shared.search.engine import Preference

# How far taste may move relevance: the engine re-ranks only the best 100 and keeps them above
# the rest, so a favourite category lifts good matches without pulling in poor ones.
FAVOURITE_WEIGHT = 1.0
PREFERENCE_WEIGHT = 0.3


def preference_for(user_id: str, *, store: DocumentStore, taste: TasteSource) -> Preference | None:
    """None when nothing is known about the user (then the plain ranking is served)."""
    from shared.search.engine import Preference

    doc = find_profile(store, user_id)
    favourites = list(((doc or {}).get("preferences") or {}).get("favoriteCategories") or [])
    scorer = taste.item_scorer(user_id)
    if not favourites and scorer is None:
        return None
    return Preference(
        category_weights={c: FAVOURITE_WEIGHT for c in favourites},
        item_scorer=scorer,
        weight=PREFERENCE_WEIGHT,
    )
