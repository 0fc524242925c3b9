"""Serialize-once models (shared/kernel/frozen.py) as `render` sends them."""

from __future__ import annotations

import gc

from shared.http.parsing import render
from shared.kernel import frozen
from shared.kernel.frozen import freeze_json, frozen_json
from shared.kernel.schema import ApiModel


class Item(ApiModel):
    item_id: str
    unit_count: int


def test_a_frozen_model_is_sent_as_the_bytes_remembered_by_alias() -> None:
    item = Item(item_id="a", unit_count=1)
    freeze_json(item)
    assert frozen_json(item) == b'{"itemId":"a","unitCount":1}'
    # Proof render uses the memo rather than serializing again: a later (forbidden) change to the
    # model does not show in the response.
    item.unit_count = 2
    assert render(item, 200).get_body() == b'{"itemId":"a","unitCount":1}'


def test_an_unfrozen_model_is_serialized_as_before() -> None:
    freeze_json(Item(item_id="other", unit_count=9))
    item = Item(item_id="b", unit_count=3)
    assert frozen_json(item) is None
    response = render(item, 200)
    assert response.get_body() == b'{"itemId":"b","unitCount":3}'
    assert response.mimetype == "application/json"


def test_the_memo_entry_goes_with_its_model() -> None:
    item = Item(item_id="c", unit_count=1)
    freeze_json(item)
    key = id(item)
    assert key in frozen._frozen
    del item
    gc.collect()
    assert key not in frozen._frozen
