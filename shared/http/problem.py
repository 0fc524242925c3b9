"""The one mapper that turns any exception into RFC 9457 `application/problem+json`.

Services raise the kernel's domain errors (shared.kernel.errors) anywhere; this edge module maps
them, and the document port's own errors, to a response. Nothing internal (stack, exception text
of unexpected errors, SQL, SDK messages) ever reaches the body.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from shared.kernel.errors import Conflict, DomainError, NotFound, PreconditionFailed
from shared.ports.documents import BatchFailed, DocumentExists, DocumentNotFound, ETagMismatch

log = logging.getLogger("smartcommerce.errors")

PROBLEM_JSON = "application/problem+json"


class _InternalError(DomainError):
    status = 500
    code = "internal_error"
    title = "Internal server error"


def _from_store_error(exc: Exception) -> DomainError | None:
    if isinstance(exc, BatchFailed):
        return _from_store_error(exc.cause)
    if isinstance(exc, DocumentNotFound):
        return NotFound("the resource does not exist")
    if isinstance(exc, ETagMismatch):
        return PreconditionFailed("the resource changed since it was read; fetch it again")
    if isinstance(exc, DocumentExists):
        return Conflict("the resource already exists")
    return None


def as_domain_error(exc: BaseException) -> DomainError | None:
    """The client-facing error for `exc`, or None when it is unexpected (a bug: 500)."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, Exception):
        return _from_store_error(exc)
    return None


def problem_body(
    error: DomainError, *, correlation_id: str | None = None, instance: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:smartcommerce:problem:{error.code}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail or error.title,
        "code": error.code,
    }
    if instance:
        body["instance"] = instance
    if correlation_id:
        body["correlationId"] = correlation_id
    body.update(error.extra_members())
    return body


def problem_response(
    exc: BaseException, correlation_id: str | None = None, *, instance: str | None = None
) -> func.HttpResponse:
    """Map any exception to a problem+json response. Unexpected ones are logged with their stack
    and become a bare 500 `internal_error`."""
    error = as_domain_error(exc)
    if error is None:
        log.error("unhandled error", exc_info=(type(exc), exc, exc.__traceback__))
        error = _InternalError("an unexpected error occurred; quote the correlation id when reporting it")
    headers = dict(error.headers)
    if correlation_id:
        headers["x-correlation-id"] = correlation_id
    return func.HttpResponse(
        body=json.dumps(problem_body(error, correlation_id=correlation_id, instance=instance)),
        status_code=error.status,
        headers=headers,
        mimetype=PROBLEM_JSON,
    )
