"""Free text clients send: no control characters (issue 17, point 11).

NUL, the other C0 controls, DEL and the C1 controls (U+0080..U+009F) are refused in every string of
every request body and query string (shared.http.parsing applies `control_character_fields` to the
decoded JSON, keys included); tab, line feed and carriage return stay allowed, as descriptions,
notes and templates are multi-line. Such characters have no business in names or addresses, break
documents and CSV exports downstream, and forge lines in logs that do not escape them.
The OpenAPI document states the rule as `NO_CONTROL_PATTERN` on every plain string it describes.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
CONTROL_CHARACTERS = re.compile(f"[{_CONTROL}]")
# The same class in JSON Schema's (ECMA-262) regex syntax, which Python's `re` also reads.
NO_CONTROL_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
CONTROL_MESSAGE = "must not contain control characters (U+0000-U+001F except tab, LF, CR; U+007F-U+009F)"


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def control_character_fields(data: Any, root: str = "") -> list[str]:
    """The paths (`items[0].note`, camelCase as sent) of the strings in decoded JSON that hold a
    control character; an object key that holds one names its object."""
    found: list[str] = []
    pending: list[tuple[str, Any]] = [(root, data)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if CONTROL_CHARACTERS.search(item):
                found.append(path)
        elif isinstance(item, dict):
            for key, value in item.items():
                if isinstance(key, str) and CONTROL_CHARACTERS.search(key):
                    found.append(path)
                    continue
                pending.append((f"{path}.{key}" if path else str(key), value))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", value) for index, value in enumerate(item))
    return sorted(set(found))
