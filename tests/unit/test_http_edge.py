"""The HTTP edge pipeline, through the wrappers the Functions worker calls."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func
import pytest
from pydantic import Field

from shared.http import Api, RequestContext, Response, hooks, on_authenticated
from shared.http.auth import Principal, mint_dev_token
from shared.http.registry import ROUTES, RouteInfo
from shared.kernel.errors import Conflict, Forbidden
from shared.kernel.schema import ApiModel, ListQuery, Page
from shared.observability.telemetry import configure_tracing, current_traceparent
from shared.ports.documents import DocumentExists, DocumentNotFound, ETagMismatch
from shared.settings import get_settings
from tests.unit.edge_support import (
    fresh_settings,  # noqa: F401 - autouse fixture
    problem,
    request,
    use_env,
    use_production,
)


class Line(ApiModel):
    sku: str = Field(min_length=1)
    quantity: int = Field(ge=1)


class OrderBody(ApiModel):
    items: list[Line] = Field(min_length=1)
    shipping_address_id: str


class ThingQuery(ListQuery):
    category_id: str | None = None


class Thing(ApiModel):
    thing_id: str


seen: dict[str, Any] = {}


def build_routes() -> dict[str, RouteInfo]:
    bp = df.Blueprint()
    api = Api(bp, tag="test")

    @api.route("orders/{orderId}", methods=["POST"], auth=("customer",), body=OrderBody, status=201)
    def create_order(ctx: RequestContext) -> Response:
        body = ctx.body_as(OrderBody)
        return Response(body, status=201, headers={"Location": f"/api/orders/{ctx.route['orderId']}"})

    @api.route("things", methods=["GET"], query=ThingQuery, response=Page[Thing])
    def list_things(ctx: RequestContext) -> Page[Thing]:
        query = ctx.query_as(ThingQuery)
        seen["query"] = query
        return Page[Thing](items=[Thing(thing_id="t1")], continuation_token=None)

    @api.route("boom", methods=["GET"])
    def boom(ctx: RequestContext) -> None:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    @api.route("store/{kind}", methods=["GET"])
    def store_error(ctx: RequestContext) -> None:
        raise {"missing": DocumentNotFound, "stale": ETagMismatch, "exists": DocumentExists}[
            ctx.route["kind"]
        ]()

    @api.route("stock", methods=["POST"])
    def out_of_stock(ctx: RequestContext) -> None:
        raise Conflict("only 2 left", code="insufficient_stock")

    @api.route("nothing", methods=["DELETE"])
    def nothing(ctx: RequestContext) -> None:
        return None

    @api.route("me-test", methods=["GET"], auth="authenticated")
    def whoami(ctx: RequestContext) -> dict[str, Any]:
        principal = ctx.require_principal()
        return {"sub": principal.sub, "roles": list(principal.roles)}

    @api.route("personal", methods=["GET"])
    def personal(ctx: RequestContext) -> dict[str, Any]:
        return {"sub": ctx.principal.sub if ctx.principal else None}

    @api.route("async/{id:int}", methods=["GET"])
    async def async_thing(ctx: RequestContext) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"id": ctx.route["id"], "traceparent": current_traceparent()}

    @api.route("start", methods=["POST"], durable_client=True, status=202)
    async def start_workflow(ctx: RequestContext) -> dict[str, Any]:
        return {"client": ctx.client}

    @api.route("dev/secret", methods=["GET"], dev_only=True)
    def dev_secret(ctx: RequestContext) -> dict[str, str]:
        return {"dev": "yes"}

    @api.route("revalidate", methods=["POST"])
    def revalidate(ctx: RequestContext) -> OrderBody:
        return OrderBody.model_validate(json.loads(ctx.req.get_body()))

    seen["bp"] = bp
    return {info.function_name: info for info in api.routes}


@pytest.fixture
def routes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, RouteInfo]]:
    use_env(monkeypatch, tmp_path)
    saved_routes, saved_hooks = list(ROUTES), list(hooks._hooks)
    seen.clear()
    try:
        yield build_routes()
    finally:
        ROUTES[:] = saved_routes
        hooks._hooks[:] = saved_hooks


def call(info: RouteInfo, req: func.HttpRequest, client: Any = None) -> func.HttpResponse:
    if info.function_name == "start_workflow":
        return asyncio.run(info.wrapper(req, client))
    if inspect.iscoroutinefunction(info.wrapper):
        return asyncio.run(info.wrapper(req))
    response: func.HttpResponse = info.wrapper(req)
    return response


def customer_token(*roles: str) -> str:
    return mint_dev_token("cust-1", list(roles or ("customer",)), email="c@example.com")[0]


GOOD_ORDER = {"items": [{"sku": "A", "quantity": 2}], "shippingAddressId": "addr-1"}


def test_malformed_json_is_400_problem(routes: dict[str, RouteInfo]) -> None:
    req = request(
        "POST", "/api/orders/o1", body=b'{"items": [', token=customer_token(), route_params={"orderId": "o1"}
    )
    response = call(routes["create_order"], req)
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "malformed_json"
    assert body["instance"] == "/api/orders/o1"


@pytest.mark.parametrize("raw", [b"", b"   ", b'{"items": NaN}', b"\xff\xfe", b"[1,"])
def test_empty_or_non_json_bodies_are_400(routes: dict[str, RouteInfo], raw: bytes) -> None:
    req = request("POST", "/api/orders/o1", body=raw, token=customer_token(), route_params={"orderId": "o1"})
    response = call(routes["create_order"], req)
    assert response.status_code == 400
    assert problem(response)["code"] == "malformed_json"


def test_validation_errors_name_camel_case_fields_with_list_indexes(routes: dict[str, RouteInfo]) -> None:
    body = {"items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 0}]}
    req = request("POST", "/api/orders/o1", body=body, token=customer_token(), route_params={"orderId": "o1"})
    response = call(routes["create_order"], req)
    assert response.status_code == 422
    data = problem(response)
    assert data["code"] == "validation_failed"
    fields = {error["field"] for error in data["errors"]}
    assert fields == {"items[1].quantity", "shippingAddressId"}
    assert all(error["message"] for error in data["errors"])


def test_a_json_array_instead_of_an_object_is_422_on_the_body(routes: dict[str, RouteInfo]) -> None:
    req = request(
        "POST", "/api/orders/o1", body=b"[]", token=customer_token(), route_params={"orderId": "o1"}
    )
    response = call(routes["create_order"], req)
    assert response.status_code == 422
    assert problem(response)["errors"][0]["field"] == "body"


def test_valid_body_reaches_the_handler_and_response_is_camel_case(routes: dict[str, RouteInfo]) -> None:
    req = request(
        "POST", "/api/orders/o1", body=GOOD_ORDER, token=customer_token(), route_params={"orderId": "o1"}
    )
    response = call(routes["create_order"], req)
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/orders/o1"
    assert response.mimetype == "application/json"
    assert json.loads(response.get_body()) == GOOD_ORDER


def test_snake_case_input_is_accepted_too(routes: dict[str, RouteInfo]) -> None:
    body = {"items": [{"sku": "A", "quantity": 2}], "shipping_address_id": "addr-1"}
    req = request("POST", "/api/orders/o1", body=body, token=customer_token(), route_params={"orderId": "o1"})
    assert call(routes["create_order"], req).status_code == 201


def test_correlation_id_is_echoed_on_success_and_error(routes: dict[str, RouteInfo]) -> None:
    ok = call(routes["nothing"], request("DELETE", "/api/nothing", headers={"x-correlation-id": "abc-123"}))
    assert ok.headers["x-correlation-id"] == "abc-123"
    failed = call(routes["boom"], request("GET", "/api/boom", headers={"x-correlation-id": "abc-124"}))
    assert failed.headers["x-correlation-id"] == "abc-124"
    assert problem(failed)["correlationId"] == "abc-124"


def test_a_correlation_id_is_made_when_absent_or_unsafe(routes: dict[str, RouteInfo]) -> None:
    fresh = call(routes["nothing"], request("DELETE", "/api/nothing"))
    assert len(fresh.headers["x-correlation-id"]) == 32
    forged = call(routes["nothing"], request("DELETE", "/api/nothing", headers={"x-correlation-id": "a\nb"}))
    assert forged.headers["x-correlation-id"] != "a\nb"
    assert len(forged.headers["x-correlation-id"]) == 32


def test_unexpected_errors_are_500_without_internals_and_logged(
    routes: dict[str, RouteInfo], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = call(routes["boom"], request("GET", "/api/boom"))
    assert response.status_code == 500
    raw = response.get_body().decode()
    assert "hunter2" not in raw and "RuntimeError" not in raw
    assert problem(response)["code"] == "internal_error"
    assert any(record.exc_info and "hunter2" in str(record.exc_info[1]) for record in caplog.records)


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("missing", 404, "not_found"),
        ("stale", 412, "precondition_failed"),
        ("exists", 409, "conflict"),
    ],
)
def test_store_errors_are_mapped(routes: dict[str, RouteInfo], kind: str, status: int, code: str) -> None:
    response = call(routes["store_error"], request("GET", f"/api/store/{kind}", route_params={"kind": kind}))
    assert response.status_code == status
    assert problem(response)["code"] == code


def test_domain_error_code_can_be_specific(routes: dict[str, RouteInfo]) -> None:
    response = call(routes["out_of_stock"], request("POST", "/api/stock"))
    assert response.status_code == 409
    data = problem(response)
    assert (data["code"], data["detail"]) == ("insufficient_stock", "only 2 left")


def test_none_result_is_204_without_body(routes: dict[str, RouteInfo]) -> None:
    response = call(routes["nothing"], request("DELETE", "/api/nothing"))
    assert response.status_code == 204
    assert response.get_body() == b""


def test_query_is_validated_with_defaults_and_camel_case_names(routes: dict[str, RouteInfo]) -> None:
    ok = call(routes["list_things"], request("GET", "/api/things", params={"categoryId": "c1"}))
    assert ok.status_code == 200
    assert json.loads(ok.get_body()) == {"items": [{"thingId": "t1"}], "continuationToken": None}
    assert (seen["query"].limit, seen["query"].category_id) == (20, "c1")
    bad = call(routes["list_things"], request("GET", "/api/things", params={"limit": "500"}))
    assert bad.status_code == 422
    assert problem(bad)["errors"][0]["field"] == "limit"


def test_missing_token_is_401_with_bearer_challenge(routes: dict[str, RouteInfo]) -> None:
    req = request("POST", "/api/orders/o1", body=GOOD_ORDER, route_params={"orderId": "o1"})
    response = call(routes["create_order"], req)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert problem(response)["code"] == "unauthorized"


def test_wrong_role_is_403_before_the_body_is_read(routes: dict[str, RouteInfo]) -> None:
    req = request(
        "POST", "/api/orders/o1", body=b"{", token=customer_token("support"), route_params={"orderId": "o1"}
    )
    response = call(routes["create_order"], req)
    assert response.status_code == 403
    assert problem(response)["code"] == "forbidden"


def test_authenticated_route_sees_the_principal(routes: dict[str, RouteInfo]) -> None:
    response = call(
        routes["whoami"], request("GET", "/api/me-test", token=customer_token("customer", "admin"))
    )
    assert response.status_code == 200
    assert json.loads(response.get_body()) == {"sub": "cust-1", "roles": ["customer", "admin"]}


def test_anonymous_route_personalises_with_a_valid_token_and_ignores_a_bad_one(
    routes: dict[str, RouteInfo],
) -> None:
    valid = call(routes["personal"], request("GET", "/api/personal", token=customer_token()))
    assert json.loads(valid.get_body()) == {"sub": "cust-1"}
    invalid = call(routes["personal"], request("GET", "/api/personal", token="not.a.token"))
    assert invalid.status_code == 200
    assert json.loads(invalid.get_body()) == {"sub": None}


def test_on_authenticated_hooks_get_the_principal(routes: dict[str, RouteInfo]) -> None:
    calls: list[Principal] = []
    on_authenticated(calls.append)
    call(routes["whoami"], request("GET", "/api/me-test", token=customer_token()))
    call(routes["nothing"], request("DELETE", "/api/nothing"))  # anonymous, no token: no hook
    assert [(p.sub, p.email) for p in calls] == [("cust-1", "c@example.com")]


def test_hook_failures_become_clean_errors(routes: dict[str, RouteInfo]) -> None:
    def refuse(principal: Principal) -> None:
        raise Forbidden("account disabled", code="account_disabled")

    on_authenticated(refuse)
    refused = call(routes["whoami"], request("GET", "/api/me-test", token=customer_token()))
    assert (refused.status_code, problem(refused)["code"]) == (403, "account_disabled")

    hooks._hooks.remove(refuse)

    def crash(principal: Principal) -> None:
        raise OSError("disk /var/secret full")

    on_authenticated(crash)
    crashed = call(routes["whoami"], request("GET", "/api/me-test", token=customer_token()))
    assert crashed.status_code == 503
    assert "secret" not in crashed.get_body().decode()


def test_async_handlers_and_int_route_params(routes: dict[str, RouteInfo]) -> None:
    response = call(routes["async_thing"], request("GET", "/api/async/7", route_params={"id": "7"}))
    assert response.status_code == 200
    assert json.loads(response.get_body())["id"] == "7"


def test_incoming_traceparent_is_continued(routes: dict[str, RouteInfo]) -> None:
    configure_tracing(get_settings())
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    req = request("GET", "/api/async/1", route_params={"id": "1"}, headers={"traceparent": parent})
    traceparent = json.loads(call(routes["async_thing"], req).get_body())["traceparent"]
    assert traceparent.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    assert traceparent.split("-")[2] != "b7ad6b7169203331"


def test_durable_client_route_gets_the_client(routes: dict[str, RouteInfo]) -> None:
    response = call(routes["start_workflow"], request("POST", "/api/start"), client="the-client")
    assert response.status_code == 202
    assert json.loads(response.get_body()) == {"client": "the-client"}


def test_the_worker_sees_req_only_signatures_and_handler_names(routes: dict[str, RouteInfo]) -> None:
    functions = {fb.build().get_function_name(): fb.build() for fb in seen["bp"]._function_builders}
    assert set(functions) == set(routes)
    assert list(inspect.signature(functions["create_order"].get_user_function()).parameters) == ["req"]
    durable = functions["start_workflow"]
    assert list(inspect.signature(durable.get_user_function()).parameters) == ["req", "client"]
    bindings = json.loads(durable.get_function_json())["bindings"]
    assert {binding["type"] for binding in bindings} == {"durableClient", "httpTrigger", "http"}
    trigger = next(
        b
        for b in json.loads(functions["async_thing"].get_function_json())["bindings"]
        if b["type"] == "httpTrigger"
    )
    assert (trigger["route"], trigger["authLevel"]) == ("async/{id:int}", "ANONYMOUS")


def test_dev_only_routes_are_404_in_production(
    routes: dict[str, RouteInfo], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert call(routes["dev_secret"], request("GET", "/api/dev/secret")).status_code == 200
    use_production(monkeypatch, tmp_path)
    response = call(routes["dev_secret"], request("GET", "/api/dev/secret"))
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"


def test_handler_side_validation_errors_are_422_not_500(routes: dict[str, RouteInfo]) -> None:
    response = call(routes["revalidate"], request("POST", "/api/revalidate", body={"items": []}))
    assert response.status_code == 422
    assert {e["field"] for e in problem(response)["errors"]} == {"items", "shippingAddressId"}


def test_route_declarations_are_checked(routes: dict[str, RouteInfo]) -> None:
    api = Api(df.Blueprint(), tag="test")
    with pytest.raises(ValueError):
        api.route("x", auth=("root",))
    with pytest.raises(TypeError):

        @api.route("y", durable_client=True)
        def not_async(ctx: RequestContext) -> None:
            return None


def test_refused_settings_are_a_500_without_details_not_a_422(
    routes: dict[str, RouteInfo], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_env(monkeypatch, tmp_path, SC_ENV="production")  # production without its required settings
    response = call(routes["whoami"], request("GET", "/api/me-test", token="a.b.c"))
    assert response.status_code == 500
    assert problem(response)["code"] == "internal_error"
    assert "AUTH_JWKS_URI" not in response.get_body().decode()


def test_remembered_hooks_run_once_per_caller_and_claims(routes: dict[str, RouteInfo]) -> None:
    calls: list[str] = []
    on_authenticated(lambda principal: calls.append(principal.sub), remember_seconds=60)
    for _ in range(3):
        call(routes["whoami"], request("GET", "/api/me-test", token=customer_token()))
    call(routes["whoami"], request("GET", "/api/me-test", token=customer_token("customer", "admin")))
    assert calls == ["cust-1", "cust-1"]  # again only because the roles claim changed


def test_a_failed_remembered_hook_is_retried(routes: dict[str, RouteInfo]) -> None:
    attempts: list[int] = []

    def flaky(principal: Principal) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("store down")

    on_authenticated(flaky, remember_seconds=60)
    first = call(routes["whoami"], request("GET", "/api/me-test", token=customer_token()))
    second = call(routes["whoami"], request("GET", "/api/me-test", token=customer_token()))
    assert (first.status_code, second.status_code, len(attempts)) == (503, 200, 2)


def test_a_number_that_overflows_to_infinity_is_422_on_its_field() -> None:
    from pydantic import ValidationError

    from shared.http.parsing import parse_json, validation_failed

    class Reading(ApiModel):
        score_value: float

    data = parse_json(b'{"scoreValue": 1e400}')  # well-formed JSON: float("1e400") is inf
    with pytest.raises(ValidationError) as caught:
        Reading.model_validate(data)
    problem_error = validation_failed(caught.value, root="body")
    assert problem_error.status == 422
    assert [e["field"] for e in problem_error.errors] == ["scoreValue"]


# --- found by tests/e2e/test_api_fuzz.py -----------------------------------------------------------


@pytest.mark.parametrize("raw", [b'{"items": ["\\ud800"]}', b'{"\\udc00": 1}', b'{"a": {"b": "x\\uDBFFy"}}'])
def test_unpaired_surrogate_escapes_are_400_not_500(routes: dict[str, RouteInfo], raw: bytes) -> None:
    # json.loads accepts "\ud800" and yields a str that cannot be encoded as UTF-8: storing it
    # was a 500 (PUT /api/me/preferences). Refused like other JSON that is not Unicode text.
    req = request("POST", "/api/orders/o1", body=raw, token=customer_token(), route_params={"orderId": "o1"})
    response = call(routes["create_order"], req)
    assert response.status_code == 400
    assert problem(response)["code"] == "malformed_json"


def test_paired_surrogates_and_escaped_backslashes_are_fine() -> None:
    from shared.http.parsing import parse_json

    assert parse_json(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert parse_json(b'{"a": "\\\\ud800"}') == {"a": "\\ud800"}


def test_a_non_ascii_bearer_token_is_401_not_500(routes: dict[str, RouteInfo]) -> None:
    # devhost (like aiohttp) hands non-UTF-8 header bytes on as surrogate escapes; PyJWT's
    # encode() of such a token raised UnicodeEncodeError.
    for token in ("\udcc3\udca9\udcc3\udca9", "é.é.é"):
        response = call(routes["whoami"], request("GET", "/api/me-test", token=token))
        assert response.status_code == 401
        assert problem(response)["code"] == "unauthorized"
        anonymous = call(routes["personal"], request("GET", "/api/personal", token=token))
        assert anonymous.status_code == 200


def test_header_values_are_valid_unicode_text() -> None:
    req = request("GET", "/api/x", headers={"idempotency-key": "k\udcc3\udca9", "if-match": '"e1"'})
    ctx = RequestContext(req=req, correlation_id="c1")
    assert ctx.header("Idempotency-Key") == "k??"
    assert ctx.if_match == '"e1"'
    assert ctx.header("missing") is None


def test_made_correlation_ids_are_distinct_uuid4_hex(routes: dict[str, RouteInfo]) -> None:
    import uuid

    made = {
        call(routes["nothing"], request("DELETE", "/api/nothing")).headers["x-correlation-id"]
        for _ in range(50)
    }
    assert len(made) == 50
    assert all(uuid.UUID(hex=cid).version == 4 and uuid.UUID(hex=cid).hex == cid for cid in made)


def test_without_traceparent_a_request_starts_its_own_trace(routes: dict[str, RouteInfo]) -> None:
    from shared.observability.telemetry import tracer

    # Even inside a caller's span (an in-process host), no traceparent header means a new trace,
    # as the propagator answered before the header check was short-circuited.
    with tracer().start_as_current_span("caller") as outer:
        req = request("GET", "/api/async/1", route_params={"id": "1"})
        traceparent = json.loads(call(routes["async_thing"], req).get_body())["traceparent"]
    assert traceparent.split("-")[1] != format(outer.get_span_context().trace_id, "032x")
    # A tracestate alone (no traceparent) is ignored the same way.
    req = request("GET", "/api/async/1", route_params={"id": "1"}, headers={"tracestate": "k=v"})
    assert json.loads(call(routes["async_thing"], req).get_body())["traceparent"] is not None


def test_request_span_context_without_a_recording_provider(
    routes: dict[str, RouteInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing records spans (no processor): the request's span context is the one the SDK's span
    would have had: the parent's trace id and flags (sampled or not) with a new span id, or a new
    trace with the SDK's flags."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from shared.http import pipeline

    configure_tracing(get_settings())
    assert isinstance(trace.get_tracer_provider(), TracerProvider)
    assert pipeline._unrecorded_span(pipeline.Context()) is not None  # the path under test

    def traceparents(headers: dict[str, str]) -> list[list[str]]:
        req = request("GET", "/api/async/1", route_params={"id": "1"}, headers=headers)
        return [
            json.loads(call(routes["async_thing"], req).get_body())["traceparent"].split("-") for _ in "ab"
        ]

    cases = [
        {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate": "k=v"},
        {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"},
        {},
    ]
    fast = [traceparents(headers) for headers in cases]
    with monkeypatch.context() as m:
        m.setattr(pipeline, "_unrecorded_span", lambda parent: None)  # the SDK's own span
        sdk = [traceparents(headers) for headers in cases]
    for headers, got, expected in zip(cases, fast, sdk, strict=True):
        for (version, trace_id, span_id, flags), sdk_made in zip(got, expected, strict=True):
            assert (version, flags) == (sdk_made[0], sdk_made[3])
            assert span_id != "b7ad6b7169203331" and int(span_id, 16) != 0
            if headers:
                assert trace_id == sdk_made[1] == "0af7651916cd43dd8448eb211c80319c"
        if not headers:
            assert got[0][1] != got[1][1]  # each request without a parent starts its own trace
        assert got[0][2] != got[1][2]


def test_request_span_is_recorded_when_a_processor_listens(
    routes: dict[str, RouteInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an exporter (App Insights, the console one, a test's), every request is a SERVER span
    with its route, status and error status, as before."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, StatusCode

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    req = request("GET", "/api/async/1", route_params={"id": "1"}, headers={"traceparent": parent})
    got = json.loads(call(routes["async_thing"], req).get_body())["traceparent"]
    call(routes["boom"], request("GET", "/api/boom"))
    ok, failed = exporter.get_finished_spans()
    assert ok.name == "GET /api/async/{id:int}" and ok.kind is SpanKind.SERVER
    assert ok.attributes is not None and ok.attributes["http.route"] == "/api/async/{id:int}"
    assert ok.attributes["http.response.status_code"] == 200
    assert ok.parent is not None and format(ok.parent.span_id, "016x") == "b7ad6b7169203331"
    assert got.split("-")[2] == format(ok.context.span_id, "016x")
    assert failed.attributes is not None and failed.attributes["http.response.status_code"] == 500
    assert failed.status.status_code is StatusCode.ERROR


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:7071/api/products/p1?x=1#f",
        "https://shop.example/api/orders/o1/ship",
        "http://h",
        "http://h?q=/api",
        "http://h#/api",
        "https://h/a;b/c?d#e",
        "http://h/a%0Ab",
        "http://h/a\nb",
        " http://h/x",
        "HTTP://h/x",
        "ftp://h/x",
        "/api/relative?x=1",
    ],
)
def test_the_access_line_path_is_urlsplits(url: str) -> None:
    from urllib.parse import urlsplit

    from shared.http.pipeline import _instance

    req = func.HttpRequest("GET", url, headers={}, params={}, route_params={}, body=b"")
    assert _instance(req) == (urlsplit(url).path or "/")


def test_correlation_ids_are_what_uuid_makes_of_the_same_random_bits() -> None:
    import random
    import uuid

    from shared.http.pipeline import new_correlation_id

    for seed in range(200):
        random.seed(seed)
        expected = uuid.UUID(int=random.getrandbits(128), version=4).hex
        random.seed(seed)
        assert new_correlation_id() == expected
