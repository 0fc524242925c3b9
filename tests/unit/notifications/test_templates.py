from __future__ import annotations

import pytest

from shared.kernel.errors import ValidationFailed
from shared.notifications.defaults import BUILTIN
from shared.notifications.model import TemplateIn, TemplateVariant
from shared.notifications.templates import SAMPLE_DATA, pick_variant, render_variant, validate_template


def _template(**variant: str) -> TemplateIn:
    fields = {
        "channel": "email",
        "subject": "Order {{ order.id }}",
        "body": "Hi {{ customer.name }}",
        **variant,
    }
    return TemplateIn.model_validate({"kind": "order_confirmed", "variants": [fields]})


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_builtin_template_renders_with_its_sample_data(name: str) -> None:
    validate_template(BUILTIN[name])
    email = pick_variant(BUILTIN[name].variants, "email", "en", "en")
    assert email is not None
    rendered = render_variant(email, SAMPLE_DATA[BUILTIN[name].kind])
    assert rendered.subject and rendered.body.strip()


def test_html_is_autoescaped_but_subject_and_text_are_not() -> None:
    variant = TemplateVariant(
        channel="email",
        subject="For {{ customer.name }}",
        body="Hi {{ customer.name }}",
        html="<p>Hi {{ customer.name }}</p>",
    )
    rendered = render_variant(variant, {"customer": {"name": "<b>Eve</b> & co"}})
    assert rendered.html == "<p>Hi &lt;b&gt;Eve&lt;/b&gt; &amp; co</p>"
    assert rendered.body == "Hi <b>Eve</b> & co"
    assert rendered.subject == "For <b>Eve</b> & co"


def test_a_syntax_error_is_a_422_naming_the_field_and_line() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_template(_template(html="<p>{% if order.id %}open</p>"))
    assert caught.value.status == 422 and caught.value.code == "invalid_template"
    assert caught.value.errors[0]["field"] == "variants[0].html"
    assert "syntax error on line 1" in caught.value.errors[0]["message"]


def test_an_unknown_variable_is_a_422() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_template(_template(body="Hi {{ customer.nickname }} {{ coupon }}"))
    assert caught.value.errors == [
        {"field": "variants[0].body", "message": caught.value.errors[0]["message"]}
    ]
    assert "nickname" in caught.value.errors[0]["message"]


def test_the_sandbox_refuses_reaching_python_internals() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_template(_template(body="{{ customer.__class__.__mro__[1].__subclasses__() }}"))
    assert caught.value.errors[0]["field"] == "variants[0].body"


def test_html_is_only_for_email() -> None:
    template = TemplateIn.model_validate(
        {"kind": "order_confirmed", "variants": [{"channel": "sms", "body": "hi", "html": "<p>hi</p>"}]}
    )
    with pytest.raises(ValidationFailed) as caught:
        validate_template(template)
    assert caught.value.errors[0]["field"] == "variants[0].html"


def test_variants_fall_back_from_region_to_language_to_default_locale() -> None:
    variants = [
        TemplateVariant(channel="email", locale="en", body="en"),
        TemplateVariant(channel="email", locale="fr", body="fr"),
        TemplateVariant(channel="email", locale="fr-CA", body="fr-CA"),
    ]
    assert pick_variant(variants, "email", "fr-CA", "en").body == "fr-CA"  # type: ignore[union-attr]
    assert pick_variant(variants, "email", "fr-BE", "en").body == "fr"  # type: ignore[union-attr]
    assert pick_variant(variants, "email", "de", "en").body == "en"  # type: ignore[union-attr]
    assert pick_variant(variants, "sms", "en", "en") is None


def test_two_variants_for_the_same_channel_and_locale_are_refused() -> None:
    with pytest.raises(ValueError, match="one variant per channel and locale"):
        TemplateIn.model_validate(
            {
                "kind": "order_confirmed",
                "variants": [{"channel": "sms", "body": "a"}, {"channel": "sms", "body": "b"}],
            }
        )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{% if order.status == 'lost' %}{{ coupon }}{% endif %}", "'coupon' is undefined"),
        ("{% if order.status == 'lost' %}{{ order.trackingUrl }}{% endif %}", "'order' has no attribute"),
        ("{% if false %}{{ customer['nickname'] }}{% endif %}", "'nickname'"),
    ],
)
def test_an_unknown_variable_in_a_branch_the_sample_skips_is_a_422_too(body: str, named: str) -> None:
    """Rendering only runs the branches the sample data takes; the name check covers the rest."""
    with pytest.raises(ValidationFailed) as caught:
        validate_template(_template(body=body))
    assert caught.value.errors[0]["field"] == "variants[0].body"
    assert named in caught.value.errors[0]["message"]


def test_names_the_template_sets_itself_and_dict_methods_are_not_unknown() -> None:
    body = (
        "{% set total = order.total %}{% for item in order['items'] %}{{ item.sku }}{% endfor %}"
        "{{ total }} {{ order.get('coupon', '') }} {{ range(2) | list }} {{ customer.name }}"
    )
    validate_template(_template(body=body))


@pytest.mark.parametrize(
    "body",
    ["{{ 'x' * 1000000000 }}", "{{ (['x'] * 10**9) | length }}", "{{ 9 ** 999999 }}", "{{ lipsum(10**6) }}"],
)
def test_templates_cannot_make_the_worker_build_huge_values(body: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_template(_template(body=body))
    assert caught.value.errors[0]["field"] == "variants[0].body"


def test_ordinary_arithmetic_and_repetition_still_render() -> None:
    rendered = render_variant(
        TemplateVariant(channel="email", body="{{ '-' * 20 }} {{ 2 ** 10 }} {{ order.total | float * 2 }}"),
        {"order": {"total": "1.50"}},
    )
    assert rendered.body == "-" * 20 + " 1024 3.0"
