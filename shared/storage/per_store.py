"""One object per document store, kept on the store itself (the catalog's and inventory's
repositories: opening their containers on every call cost a measurable part of a listing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from shared.ports.documents import DocumentStore

T = TypeVar("T")


def per_store(store: DocumentStore, name: str, kind: type[T], make: Callable[[DocumentStore], T]) -> T:
    """The `kind` object kept on `store` under `name`, made by `make(store)` on first use.

    Kept as an attribute of the store: as a WeakKeyDictionary's value the object (whose containers
    hold the store) kept its own key alive, so no store was ever freed. An attribute is a cycle the
    collector frees with the store. A store without a __dict__ gets a new object per call."""
    try:
        attributes = vars(store)
    except TypeError:
        return make(store)
    found = attributes.get(name)
    if not isinstance(found, kind):
        found = attributes[name] = make(store)
    return found
