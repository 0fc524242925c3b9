"""Request bodies and query strings in (validated with pydantic), results out (JSON by alias)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

import azure.functions as func
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from shared.http.context import Response
from shared.kernel.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from shared.kernel.frozen import frozen_json
from shared.kernel.text import CONTROL_MESSAGE, control_character_fields, has_control_characters

JSON = "application/json"
# pydantic puts validator/union tags such as "function-after[...]" in error locations: not fields.
_TAG = re.compile(r"^[a-z][a-z-]*\[.*\]$")


def field_path(loc: tuple[int | str, ...]) -> str:
    """`("items", 0, "quantity")` -> `items[0].quantity` (names are the camelCase aliases)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not _TAG.match(part):
            path += f".{part}" if path else part
    return path


def validation_failed(exc: ValidationError, *, root: str = "body") -> ValidationFailed:
    """The 422 for a pydantic error. Input values are left out on purpose: they may be secrets
    (card numbers) and the client sent them anyway."""
    errors = [{"field": field_path(tuple(e["loc"])) or root, "message": e["msg"]} for e in exc.errors()]
    fields = ", ".join(dict.fromkeys(error["field"] for error in errors))
    return ValidationFailed(f"invalid {root}: {fields}", errors=errors)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


# `\ud800`..`\udfff` escapes: json.loads turns an unpaired one into a lone surrogate, a str that
# cannot be encoded as UTF-8 again (the store then fails: a 500). Pairs decode to one character.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(data: Any) -> None:
    """Unpaired surrogates are not Unicode text (I-JSON, RFC 7493 2.1): a 400 like other bad JSON."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise BadRequest(
                    "the request body is not valid JSON: a string holds an unpaired surrogate escape",
                    code="malformed_json",
                ) from exc
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity, UTF-8, no unpaired surrogates. Malformed input is a 400,
    never a 500."""
    if not raw.strip():
        raise BadRequest("a JSON request body is required", code="malformed_json")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}", code="malformed_json") from exc
    if _SURROGATE_ESCAPE.search(raw):  # the walk costs only for bodies that may need it
        _refuse_lone_surrogates(data)
    return data


# Where a control character can hide in raw JSON (raw C0 controls are invalid JSON already): a
# `\u00..` escape, a raw DEL, a raw C1 character (UTF-8 lead byte 0xC2). Substring tests are far
# cheaper than a regex over the body; only a body holding one of them is walked (tab/LF/CR escapes
# qualify too and are then let through by the walk).


def _refuse_control_characters(data: Any, raw: bytes, root: str) -> None:
    """No control characters in any string the client sends (shared.kernel.text): a 422 naming
    each field, before the model sees the data."""
    if b"\\u00" not in raw and b"\x7f" not in raw and b"\xc2" not in raw:
        return
    fields = control_character_fields(data)
    if fields:
        errors = [{"field": field or root, "message": CONTROL_MESSAGE} for field in fields]
        raise ValidationFailed(f"invalid {root}: {', '.join(e['field'] for e in errors)}", errors=errors)


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or any `+json` type, parameters (charset) allowed."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def _whole_floats_as_ints(data: Any) -> tuple[Any, bool]:
    """`2.0` -> `2`: JSON has one number type and JSON Schema calls 2.0 an integer, but pydantic's
    strict mode refuses it for an int field. A float field still takes the int; an infinity (1e400)
    stays a float and is refused by the field."""
    if isinstance(data, float) and data.is_integer():
        return int(data), True
    if isinstance(data, dict):
        pairs = [(k, *_whole_floats_as_ints(v)) for k, v in data.items()]
        return ({k: v for k, v, _ in pairs}, True) if any(c for _, _, c in pairs) else (data, False)
    if isinstance(data, list):
        items = [_whole_floats_as_ints(v) for v in data]
        return ([v for v, _ in items], True) if any(c for _, c in items) else (data, False)
    return data, False


def parse_body(req: func.HttpRequest, model: type[BaseModel]) -> BaseModel:
    """A write's body: JSON only (415 otherwise), strictly typed, no unknown fields.

    Strict: a bool or a string in an integer field, `"yes"` in a boolean field is a 422, not 1 or
    True. JSON mode keeps what JSON cannot express natively: decimal and date strings, enum values.
    Unknown fields are a 422 too (a typo must not be silently dropped, nor a 9 MB extra field
    carried along); models that must accept a resource echoed back declare its read-only fields.
    """
    if not is_json_media_type(req.headers.get("content-type")):
        raise UnsupportedMediaType("send the body as application/json (Content-Type: application/json)")
    raw = req.get_body() or b""
    data = parse_json(raw)  # malformed JSON is a 400 with our own message, before any validation
    _refuse_control_characters(data, raw, "body")
    changed = False
    read_only: frozenset[str] = getattr(model, "READ_ONLY_FIELDS", frozenset())
    if read_only and isinstance(data, dict) and read_only & data.keys():
        # A resource echoed back from GET: its read-only fields are dropped, nothing else is.
        data, changed = {k: v for k, v in data.items() if k not in read_only}, True
    data, whole = _whole_floats_as_ints(data)
    if changed or whole:
        # An infinity (1e400) cannot be written back: validate the client's own bytes then; the
        # field refuses it either way (allow_inf_nan=False).
        with contextlib.suppress(ValueError):
            raw = json.dumps(data, allow_nan=False).encode()
    try:
        return model.model_validate_json(raw, strict=True, extra="forbid")
    except ValidationError as exc:
        raise validation_failed(exc, root="body") from exc


def parse_query(params: Mapping[str, str], model: type[BaseModel]) -> BaseModel:
    bad = [name for name, value in params.items() if has_control_characters(name + value)]
    if bad:
        errors = [
            {"field": name if not has_control_characters(name) else "query", "message": CONTROL_MESSAGE}
            for name in bad
        ]
        raise ValidationFailed(f"invalid query: {', '.join(e['field'] for e in errors)}", errors=errors)
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        raise validation_failed(exc, root="query") from exc


def _encode(body: Any) -> tuple[bytes | None, str | None]:
    if body is None:
        return None, None
    if isinstance(body, BaseModel):
        return frozen_json(body) or body.model_dump_json(by_alias=True).encode(), JSON
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain"
    # dicts/lists may hold models, Decimals, datetimes: pydantic knows how to make them JSON.
    return json.dumps(to_jsonable_python(body, by_alias=True)).encode(), JSON


def render(result: Any, default_status: int) -> func.HttpResponse:
    """Handler result -> response: model/dict/list -> JSON, None -> 204, `Response` as told."""
    if isinstance(result, func.HttpResponse):
        return result
    status, headers, mimetype, body = default_status, {}, None, result
    if isinstance(result, Response):
        status, headers, mimetype, body = result.status, dict(result.headers), result.mimetype, result.body
    payload, detected = _encode(body)
    if payload is None and status == 200 and not isinstance(result, Response):
        status = 204
    return func.HttpResponse(
        body=payload, status_code=status, headers=headers, mimetype=mimetype or detected or JSON
    )
