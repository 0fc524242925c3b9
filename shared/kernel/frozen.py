"""Serialize-once for response models that are shared read-only (e.g. read-cache entries).

A cached product is sent many times but never changes while cached, so its JSON is computed when
it enters the cache and `render` sends those bytes instead of calling `model_dump_json` on every
hit (10 us for a product, ~60 us for a 20-item listing). The memo is keyed by object identity and
held through a weak reference, so an entry lives exactly as long as the model it describes.
"""

from __future__ import annotations

import weakref

from pydantic import BaseModel

_frozen: dict[int, tuple[weakref.ref[BaseModel], bytes]] = {}


def freeze_json(model: BaseModel) -> None:
    """Declare `model` immutable from now on and remember its JSON (by alias, as `render` sends
    it). Mutating a frozen model afterwards would send stale JSON: only freeze shared snapshots."""
    key = id(model)

    def forget(_: weakref.ref[BaseModel]) -> None:
        # Runs while the model is being freed, before its id can be reused; the identity check
        # keeps a (theoretical) newer entry under the same id.
        entry = _frozen.get(key)
        if entry is not None and entry[0]() is None:
            _frozen.pop(key, None)

    _frozen[key] = (weakref.ref(model, forget), model.model_dump_json(by_alias=True).encode())


def frozen_json(model: BaseModel) -> bytes | None:
    """The JSON remembered for this very object, or None."""
    entry = _frozen.get(id(model))
    if entry is None or entry[0]() is not model:
        return None
    return entry[1]
