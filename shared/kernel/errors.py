"""Domain errors with stable codes (the HTTP edge, shared.http.problem, maps them to RFC 9457
`application/problem+json`).

Services raise these anywhere; the HTTP edge (`shared.http`) maps them. The `code` is part of the
public contract (clients branch on it), the `detail` is for humans, and nothing internal (stack,
exception text of unexpected errors, SQL, SDK messages) ever reaches the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


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


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


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
