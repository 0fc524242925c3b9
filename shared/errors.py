"""Domain errors with stable codes, and the one mapper that turns any exception into RFC 9457
`application/problem+json`.

Services raise these anywhere; the HTTP edge (`shared.http`) maps them. The `code` is part of the
public contract (clients branch on it), the `detail` is for humans, and nothing internal (stack,
exception text of unexpected errors, SQL, SDK messages) ever reaches the body.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import azure.functions as func

from shared.ports.documents import (
    BatchFailed,
    DocumentExists,
    DocumentNotFound,
    ETagMismatch,
    StoreBusy,
    TooLarge,
)

log = logging.getLogger("smartcommerce.errors")

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """Base of every error a client may see. Subclasses fix `status`, `code` and `title`; an
    instance may override `code` (e.g. `Conflict("...", code="insufficient_stock")`)."""

    status: ClassVar[int] = 400
    code: str = "domain_error"
    title: ClassVar[str] = "Domain error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        if code is not None:
            self.code = code
        # Extra response headers (WWW-Authenticate, Retry-After) that belong to this error.
        self.headers: dict[str, str] = dict(headers or {})

    def extra_members(self) -> dict[str, Any]:
        """Additional problem members (RFC 9457 extension members)."""
        return {}


class BadRequest(DomainError):
    status = 400
    code = "malformed_request"
    title = "Malformed request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"

    def __init__(self, detail: str | None = None, *, code: str | None = None, error: str | None = None):
        # RFC 6750: tell the client which scheme to use, and why the token was refused if it was.
        challenge = "Bearer" if error is None else f'Bearer error="{error}"'
        super().__init__(detail, code=code, headers={"WWW-Authenticate": challenge})


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"
    title = "Precondition failed"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"
    title = "Validation failed"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail, code=code)
        self.errors: list[dict[str, str]] = list(errors or [])

    @classmethod
    def field(cls, field: str, message: str, *, code: str | None = None) -> ValidationFailed:
        """One bad field, for rules checked by services (unknown sku, expired card...)."""
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}], code=code)

    def extra_members(self) -> dict[str, Any]:
        return {"errors": self.errors}


class PreconditionRequired(DomainError):
    status = 428
    code = "precondition_required"
    title = "Precondition required"


class ServiceUnavailable(DomainError):
    """A dependency (identity provider, store) is down: the client may retry later."""

    status = 503
    code = "service_unavailable"
    title = "Service unavailable"


class PayloadTooLarge(DomainError):
    """The resource would exceed the document store's size limit (Cosmos DB: 2 MB)."""

    status = 413
    code = "payload_too_large"
    title = "Payload too large"


def _from_store_error(exc: Exception) -> DomainError | None:
    if isinstance(exc, BatchFailed):
        return _from_store_error(exc.cause)
    if isinstance(exc, DocumentNotFound):
        return NotFound("the resource does not exist")
    if isinstance(exc, ETagMismatch):
        return PreconditionFailed("the resource changed since it was read; fetch it again")
    if isinstance(exc, DocumentExists):
        return Conflict("the resource already exists")
    if isinstance(exc, TooLarge):
        return PayloadTooLarge("the resource is over the store's size limit")
    if isinstance(exc, StoreBusy):
        retry = str(max(1, round(exc.retry_after))) if exc.retry_after else "1"
        return ServiceUnavailable("the store is busy; retry later", headers={"Retry-After": retry})
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


class _InternalError(DomainError):
    status = 500
    code = "internal_error"
    title = "Internal server error"
