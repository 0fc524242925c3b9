"""Route templates and matching: ASP.NET Core precedence, constraints, optional and catch-all."""

from __future__ import annotations

import pytest

from devhost.routing import Router, RouteTemplateError, parse_template


def _router(*routes: tuple[str, list[str] | None]) -> Router[str]:
    r: Router[str] = Router()
    for template, methods in routes:
        r.add(template, methods, template)
    return r


def target(r: Router[str], method: str, path: str) -> str | None:
    route = r.match(method, path).route
    return route.target if route is not None else None


def test_literal_beats_parameter_whatever_the_registration_order() -> None:
    r = _router(("inventory/{sku}", ["GET"]), ("inventory/reorder-recommendations", ["GET"]))
    assert target(r, "GET", "/inventory/reorder-recommendations") == "inventory/reorder-recommendations"
    assert target(r, "GET", "/inventory/ABC-1") == "inventory/{sku}"
    assert r.match("GET", "/inventory/ABC-1").params == {"sku": "ABC-1"}


def test_constrained_parameter_beats_plain_parameter_and_catch_all_is_last() -> None:
    r = _router(("files/{*rest}", None), ("files/{name}", None), ("files/{id:int}", None))
    assert target(r, "GET", "/files/42") == "files/{id:int}"
    assert target(r, "GET", "/files/readme") == "files/{name}"
    assert target(r, "GET", "/files/a/b/c") == "files/{*rest}"
    assert r.match("GET", "/files/a/b/c").params == {"rest": "a/b/c"}


def test_literals_are_case_insensitive_and_values_are_decoded() -> None:
    r = _router(("Orders/{orderId}", ["GET"]))
    m = r.match("GET", "/orders/a%20b")
    assert m.route is not None and m.params == {"orderId": "a b"}


def test_method_mismatch_reports_allowed_methods() -> None:
    r = _router(("orders/{id}", ["GET", "DELETE"]))
    m = r.match("POST", "/orders/1")
    assert m.route is None and m.allowed == {"GET", "DELETE"}
    assert r.match("POST", "/nothing").allowed == frozenset()


def test_method_filter_applies_before_precedence() -> None:
    r = _router(("inventory/{sku}", ["GET"]), ("inventory/reorder", ["POST"]))
    assert target(r, "GET", "/inventory/reorder") == "inventory/{sku}"
    assert target(r, "POST", "/inventory/reorder") == "inventory/reorder"


@pytest.mark.parametrize(
    ("template", "ok", "bad"),
    [
        ("x/{v:int}", "-12", "1.5"),
        ("x/{v:int}", "2147483647", "2147483648"),
        ("x/{v:long}", "2147483648", "abc"),
        ("x/{v:alpha}", "abcXYZ", "abc1"),
        ("x/{v:bool}", "True", "yes"),
        ("x/{v:guid}", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "not-a-guid"),
        ("x/{v:length(3)}", "abc", "abcd"),
        ("x/{v:length(2,4)}", "abcd", "a"),
        ("x/{v:minlength(2)}", "ab", "a"),
        ("x/{v:maxlength(2)}", "ab", "abc"),
        ("x/{v:min(10)}", "10", "9"),
        ("x/{v:max(10)}", "10", "11"),
        ("x/{v:range(1,5)}", "5", "6"),
        ("x/{v:int:min(1)}", "1", "0"),
        ("x/{v:decimal}", "12.50", "12,50"),
        (r"x/{v:regex(^[a-z]{{2}}\d$)}", "ab1", "abc1"),
        ("x/{v:regex(^(a|b):c$)}", "a:c", "c:c"),
    ],
)
def test_constraints(template: str, ok: str, bad: str) -> None:
    r = _router((template, None))
    assert r.match("GET", f"/x/{ok}").route is not None
    assert r.match("GET", f"/x/{bad}").route is None


def test_optional_and_default_parameters() -> None:
    r = _router(("products/{id?}", None), ("pages/{n:int=1}", None))
    assert r.match("GET", "/products").params == {}
    assert r.match("GET", "/products/7").params == {"id": "7"}
    assert r.match("GET", "/pages").params == {"n": "1"}
    assert r.match("GET", "/pages/3").params == {"n": "3"}


def test_required_parameter_needs_a_segment_and_extra_segments_do_not_match() -> None:
    r = _router(("orders/{id}", None))
    assert r.match("GET", "/orders").route is None
    assert r.match("GET", "/orders/1/items").route is None
    assert r.match("GET", "/orders/1/").route is not None  # trailing slash tolerated


def test_complex_segment() -> None:
    r = _router(("images/{name}.{ext:alpha}", None))
    m = r.match("GET", "/images/photo.png")
    assert m.route is not None and m.params == {"name": "photo", "ext": "png"}
    assert r.match("GET", "/images/photo.123").route is None


def test_literal_beats_optional_parameter_for_the_short_path() -> None:
    r = _router(("items/{id?}", None), ("items", None))
    assert target(r, "GET", "/items") == "items"


@pytest.mark.parametrize("bad", ["a/{x", "a/{*rest}/b", "a/{x:nosuch}", "a//b", "a/{1x}"])
def test_bad_templates_are_refused(bad: str) -> None:
    with pytest.raises((RouteTemplateError, ValueError)):
        parse_template(bad)
