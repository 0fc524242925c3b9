"""orjson for the JSON the engine writes and reads itself (events, queue payloads, action lists).

Those are built by devhost from strings and small integers, so orjson's output is the same JSON
(without the spaces). Anything orjson refuses (integers past 64 bits, non-string keys, NaN in
text) goes through the standard library as before. User data the SDK hands over (outputs,
custom status) keeps `json.dumps`, whose NaN handling differs.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
