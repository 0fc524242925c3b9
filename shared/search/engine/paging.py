"""Opaque continuation tokens for offset paging, bound to the query they page through.

The order is stable (ties broken by product id), so offset paging over an unchanged index never
repeats or skips a product; a token replayed with other parameters is refused rather than
silently paging a different result list.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, replace

from shared.search.engine.types import InvalidPageToken, SearchRequest


def _fingerprint(request: SearchRequest) -> str:
    fields = asdict(replace(request, offset=0, limit=0, preference=None))
    blob = json.dumps(fields, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def encode_token(request: SearchRequest, offset: int) -> str:
    body = json.dumps({"o": offset, "f": _fingerprint(request)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=")


def decode_token(token: str, request: SearchRequest) -> int:
    """The offset a token stands for; InvalidPageToken if malformed or from another query."""
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, fingerprint = body["o"], body["f"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidPageToken("malformed continuation token") from exc
    if not isinstance(offset, int) or offset < 0 or fingerprint != _fingerprint(request):
        raise InvalidPageToken("continuation token does not belong to this query")
    return offset
