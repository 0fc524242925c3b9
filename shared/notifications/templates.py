"""Rendering templates with Jinja2, safely, and refusing bad ones when they are saved.

Templates are written by admins, so they run in Jinja's SandboxedEnvironment (no attribute access
to internals, no arbitrary calls). HTML email bodies are autoescaped so a customer's name cannot
inject markup; subjects and text bodies are not (they are not HTML). StrictUndefined turns an
unknown variable into an error: at save time the template is rendered with the sample data of its
kind, so a typo is a 422 for the admin instead of a broken email for every customer. Rendering only
runs the branches the sample takes, so the names a template reads (and their first-level fields)
are also checked against the sample without rendering: a typo inside `{% if %}` is caught too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from shared.kernel.errors import ValidationFailed
from shared.notifications.model import TemplateIn, TemplateVariant

MAX_PRODUCT = 100_000  # longest string/list `*` may build, largest `**` exponent's result size


class _Sandbox(SandboxedEnvironment):
    """The sandbox stops calls into Python internals, not `{{ 'x' * 10**10 }}`, which would exhaust
    the worker's memory when the template is checked at save time; these operators are bounded."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("exponent too large for a template")
        if operator == "*":
            sizes = [len(v) for v in (left, right) if isinstance(v, str | list | tuple)]
            counts = [v for v in (left, right) if isinstance(v, int)]
            if sizes and counts and max(sizes[0], 1) * max(counts[0], 0) > MAX_PRODUCT:
                raise SecurityError("repetition too large for a template")
        return super().call_binop(context, operator, left, right)


def _sandbox(*, autoescape: bool) -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=autoescape, keep_trailing_newline=True)
    env.globals.pop("lipsum", None)  # generates arbitrary amounts of text; no template needs it
    return env


_text_env = _sandbox(autoescape=False)
_html_env = _sandbox(autoescape=True)

_ORDER = {
    "id": "ord-sample",
    "status": "confirmed",
    "total": "59.97",
    "subtotal": "59.97",
    "currency": "USD",
    "items": [
        {"sku": "SKU-1", "name": "Sample product", "quantity": 3, "unitPrice": "19.99", "lineTotal": "59.97"}
    ],
    "refundedAmount": "0.00",
    "failureReason": "",
}
_CUSTOMER = {"id": "user-sample", "name": "Ada Lovelace", "email": "ada@example.com"}

# The variables each kind is rendered with (the handlers build contexts of exactly this shape).
SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "order_confirmed": {"customer": _CUSTOMER, "order": _ORDER},
    "order_cancelled": {
        "customer": _CUSTOMER,
        "order": {**_ORDER, "status": "cancelled"},
        "reason": "customer",
    },
    "order_refunded": {
        "customer": _CUSTOMER,
        "order": {**_ORDER, "status": "refunded"},
        "refund": {"amount": "59.97", "currency": "USD", "reason": "damaged"},
    },
    "order_shipped": {
        "customer": _CUSTOMER,
        "order": {**_ORDER, "status": "shipped"},
        "shipment": {"carrier": "Sample Post", "trackingNumber": "TRACK-1"},
    },
    "order_payment_failed": {
        "customer": _CUSTOMER,
        "order": {**_ORDER, "status": "payment_failed", "failureReason": "card_declined"},
    },
    "order_rejected": {
        "customer": _CUSTOMER,
        "order": {**_ORDER, "status": "rejected", "failureReason": "fraud_rejected"},
    },
    "order_out_of_stock": {
        "customer": _CUSTOMER,
        "order": {**_ORDER, "status": "out_of_stock", "failureReason": "out_of_stock"},
    },
    "stock_low": {"recipient": _CUSTOMER, "stock": {"sku": "SKU-1", "available": 2, "threshold": 5}},
    "reorder_recommended": {
        "recipient": _CUSTOMER,
        "reorder": {
            "sku": "SKU-1",
            "available": 3,
            "reorderPoint": 12.5,
            "safetyStock": 4.1,
            "orderQuantity": 20,
            "leadTimeDays": 7,
            "serviceLevel": 0.95,
        },
    },
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    html: str | None = None


@lru_cache(maxsize=512)
def _compiled(html: bool, source: str) -> Template:
    """Compiling a template costs far more than rendering it (parse, code generation, `exec`):
    it took a twentieth of the CPU of an order (docs/performance.md). Templates are immutable and
    safe to render from several threads, and a changed template is a different source string."""
    return (_html_env if html else _text_env).from_string(source)


def render_variant(variant: TemplateVariant, context: dict[str, Any]) -> Rendered:
    """Render one variant; jinja2 TemplateError (syntax, undefined, sandbox) propagates."""
    subject = _compiled(False, variant.subject).render(context).strip() if variant.subject else ""
    body = _compiled(False, variant.body).render(context)
    html = _compiled(True, variant.html).render(context) if variant.html else None
    return Rendered(subject=" ".join(subject.split()), body=body, html=html)


def _problem(exc: Exception) -> str:
    if isinstance(exc, TemplateSyntaxError):
        return f"syntax error on line {exc.lineno}: {exc.message}"
    if isinstance(exc, TemplateError):
        return f"does not render with the sample data: {exc.message or type(exc).__name__}"
    return f"does not render with the sample data: {type(exc).__name__}"


def unknown_names(source: str, sample: dict[str, Any]) -> list[str]:
    """Variables (and first-level fields of them) the template reads that `sample` lacks, whichever
    branch they are in. Names the template sets itself (`set`, `for`) are its own business."""
    tree = _text_env.parse(source)
    given = meta.find_undeclared_variables(tree) - set(_text_env.globals)
    problems = [f"{name!r} is undefined" for name in sorted(given - set(sample))]
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = getattr(node, "node", None)
        if not (isinstance(target, nodes.Name) and target.name in given):
            continue
        value = sample.get(target.name)
        key = (
            node.attr
            if isinstance(node, nodes.Getattr)
            else getattr(getattr(node, "arg", None), "value", None)
        )
        # dict methods (`order.get(...)`) are allowed by the sandbox and render fine.
        if isinstance(value, dict) and isinstance(key, str) and key not in value and not hasattr(dict, key):
            problems.append(f"{target.name!r} has no attribute {key!r}")
    return list(dict.fromkeys(problems))


def validate_template(template: TemplateIn) -> None:
    """422 naming each bad field (`variants[0].html`) when a variant fails to render."""
    sample = SAMPLE_DATA[template.kind]
    errors: list[dict[str, str]] = []
    for index, variant in enumerate(template.variants):
        for field in ("subject", "body", "html"):
            source = getattr(variant, field)
            if not source:
                continue
            env = _html_env if field == "html" else _text_env
            try:
                env.from_string(source).render(sample)
                unknown = unknown_names(source, sample)
            except Exception as exc:  # any failure to render is the admin's to fix, never a 500
                errors.append({"field": f"variants[{index}].{field}", "message": _problem(exc)})
                continue
            if unknown:
                message = f"unknown variable: {'; '.join(unknown)}"
                errors.append({"field": f"variants[{index}].{field}", "message": message})
        if variant.channel != "email" and variant.html:
            errors.append({"field": f"variants[{index}].html", "message": "only email variants have html"})
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise ValidationFailed(detail, errors=errors, code="invalid_template")


def pick_variant(
    variants: list[TemplateVariant], channel: str, locale: str, default_locale: str
) -> TemplateVariant | None:
    """The variant for `channel` in the user's locale, else its language, else the default locale."""
    of_channel = [v for v in variants if v.channel == channel]
    for wanted in (locale, locale.split("-")[0], default_locale):
        for v in of_channel:
            if v.locale == wanted:
                return v
    return of_channel[0] if of_channel else None
