"""Deployable as written: azure.yaml for `azd up`, CORS for browser clients (platform CORS on the
Functions app and the `<cors>` policy in API Management), and APIM importing the app's OpenAPI
document instead of wildcard operations. Structural checks, as in test_infra.py: no Bicep compiler
or APIM runs here, so what Azure does with these files is not covered.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import yaml

from tests.unit.test_infra import (
    INFRA,
    MAIN,
    ROOT,
    code_only,
    declared_outputs,
    declared_params,
    module_calls,
)

APIM = INFRA / "modules" / "apim.bicep"
FUNCTION_APP = INFRA / "modules" / "functionapp.bicep"
POLICY = INFRA / "modules" / "apim-api-policy.xml"
CORS_POLICY = INFRA / "modules" / "apim-cors-policy.xml"
OPENAPI = INFRA / "openapi.json"


# --- azure.yaml -----------------------------------------------------------------------------------


def azure_yaml() -> dict[str, Any]:
    path = ROOT / "azure.yaml"
    assert path.is_file(), "azure.yaml is missing: `azd up` needs it (docs/deployment.md)"
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def test_azure_yaml_points_azd_at_main_bicep() -> None:
    infra = azure_yaml()["infra"]
    assert infra.get("provider", "bicep") == "bicep"
    assert (ROOT / infra["path"] / f"{infra['module']}.bicep").resolve() == MAIN.resolve()
    # azd fills ${AZURE_ENV_NAME} in main.parameters.json and tags resources with the env name.
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert parameters["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert "'azd-env-name': environmentName" in MAIN.read_text()


def test_azure_yaml_service_is_the_function_app_by_its_tag() -> None:
    services = azure_yaml()["services"]
    assert list(services) == ["api"]
    api = services["api"]
    assert (api["language"], api["host"]) in {("python", "function"), ("py", "function")}
    project = (ROOT / api["project"]).resolve()
    assert project == ROOT, "the package is the repository root (function_app.py, host.json)"
    for name in ("function_app.py", "host.json", "requirements.txt", ".funcignore"):
        assert (project / name).is_file(), name
    assert "'azd-service-name': 'api'" in FUNCTION_APP.read_text()
    assert "AZURE_FUNCTION_APP_NAME" in declared_outputs(MAIN)


def test_the_package_leaves_out_development_folders() -> None:
    ignored = set((ROOT / ".funcignore").read_text().split())
    development = {".venv", ".devhost", "tests", "devhost", "local.settings.json", ".worker-runtime"}
    assert development | {"web"} <= ignored  # web/ is the Static Web App, not part of the API


# --- CORS -----------------------------------------------------------------------------------------


def test_cors_origins_are_one_parameter_passed_to_the_app_and_the_gateway() -> None:
    assert "corsAllowedOrigins" in declared_params(MAIN)
    calls = {symbol: passed for symbol, _, passed in module_calls(MAIN)}
    assert "corsAllowedOrigins" in calls["functionApp"] and "corsAllowedOrigins" in calls["apim"]
    app = code_only(FUNCTION_APP.read_text())
    assert re.search(r"cors:\s*\{\s*allowedOrigins:\s*corsAllowedOrigins", app), "siteConfig.cors missing"
    # devhost reads the same origins from the same setting name.
    assert "CORS_ALLOWED_ORIGINS: join(corsAllowedOrigins, ',')" in MAIN.read_text()


def render_policy(origins: list[str]) -> ET.Element:
    """apim-api-policy.xml as apim.bicep assembles it (the same two replacements, checked below)."""
    cors = CORS_POLICY.read_text().replace(
        "<origin>__CORS_ORIGINS__</origin>", "".join(f"<origin>{o}</origin>" for o in origins)
    )
    return ET.fromstring(POLICY.read_text().replace("<!--CORS-->", cors if origins else ""))


def test_apim_bicep_makes_the_replacements_the_test_renders() -> None:
    bicep = APIM.read_text()
    cors = "loadTextContent('apim-cors-policy.xml'), '<origin>__CORS_ORIGINS__</origin>', corsOrigins"
    assert cors in bicep
    assert "replace(loadTextContent('apim-api-policy.xml'), '<!--CORS-->'," in bicep
    assert "empty(corsAllowedOrigins) ? '' : corsPolicy" in bicep
    assert "value: apiPolicy" in bicep
    assert POLICY.read_text().count("<!--CORS-->") == 1


def test_the_cors_policy_comes_first_and_allows_what_browser_clients_send() -> None:
    origins = ["https://shop.example.com", "http://localhost:3000"]
    inbound = render_policy(origins).find("inbound")
    assert inbound is not None
    first = next(iter(inbound))
    assert first.tag == "cors", "APIM wants <cors> first in <inbound>"
    assert first.get("allow-credentials") == "false"  # bearer tokens, no cookies
    assert [o.text for o in first.iterfind("allowed-origins/origin")] == origins
    methods = {m.text for m in first.iterfind("allowed-methods/method")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    headers = {str(h.text).lower() for h in first.iterfind("allowed-headers/header")}
    assert {"authorization", "content-type", "if-match", "idempotency-key", "x-correlation-id"} <= headers
    exposed = {str(h.text).lower() for h in first.iterfind("expose-headers/header")}
    assert {"etag", "location", "x-correlation-id"} <= exposed
    # The JWT check and the dev-route block are still there, after <cors>.
    assert inbound.find(".//validate-jwt") is not None


def test_no_origin_means_no_cors_element_and_a_valid_policy() -> None:
    root = render_policy([])
    assert root.find(".//cors") is None
    assert root.find(".//validate-jwt") is not None


def test_a_preflight_operation_lets_options_reach_the_cors_policy() -> None:
    bicep = code_only(APIM.read_text())
    source = APIM.read_text()
    assert re.search(r"resource preflight '[^']*/apis/operations@", source)
    assert "method: 'OPTIONS'" in source and "urlTemplate: '/*'" in source
    assert "parent: api" in bicep


# --- APIM imports the OpenAPI document --------------------------------------------------------------


def test_apim_imports_the_openapi_document_instead_of_wildcard_operations() -> None:
    source = APIM.read_text()
    assert "format: 'openapi+json'" in source
    assert "value: string(loadJsonContent('../openapi.json'))" in source
    wildcard = re.findall(r"method: '(\w+)'\s+urlTemplate: '/\*'", source)
    assert wildcard == ["OPTIONS"], f"wildcard operations left: {wildcard}"
    assert "for method in methods" not in source


def test_the_imported_document_is_current() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.gen_apim_openapi", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_imported_document_fits_bicep_and_the_api_path() -> None:
    text = OPENAPI.read_text()
    assert len(text) < 1_048_576, "loadJsonContent reads at most 1,048,576 characters"
    document = json.loads(text)
    assert document["openapi"].startswith("3.")
    paths = list(document["paths"])
    assert len(paths) >= 30
    assert not [p for p in paths if p.startswith("/api/")], "the API path 'api' adds the prefix"
    assert not [p for p in paths if p.startswith("/dev/")], "development routes stay out of the gateway"
    assert "/health" in paths and "/orders/{orderId}" in paths
    api = code_only(APIM.read_text())
    assert "path:" in api and "path: 'api'" in APIM.read_text()


# --- host.json ------------------------------------------------------------------------------------


def test_host_json_logging_keeps_successful_requests_for_application_insights() -> None:
    """Request telemetry is the `Host.Results` category: at Error, Application Insights would see
    failed requests only (no request counts, durations or success rate)."""
    levels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"]
    logging = json.loads((ROOT / "host.json").read_text())["logging"]
    log_level = logging["logLevel"]
    for category in ("Host.Results", "Function"):
        level = log_level.get(category, log_level.get("default", "Information"))
        assert levels.index(level) <= levels.index("Information"), f"{category} at {level}"
    excluded = logging["applicationInsights"]["samplingSettings"].get("excludedTypes", "")
    assert "Request" in excluded.split(";"), "requests must not be sampled away either"
