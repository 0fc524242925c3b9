"""docs/api.md (issue 17, point 16): the guide a newcomer opens, kept in step with the OpenAPI document."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tools import gen_api_docs

ROOT = Path(__file__).resolve().parents[3]


def test_committed_api_doc_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.gen_api_docs", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr + "\nregenerate: .venv/bin/python -m tools.gen_api_docs"


def test_every_operation_of_the_openapi_document_has_a_section_with_an_example() -> None:
    # The committed production document (kept current by tests/unit/test_infra_deploy.py), not one
    # built in this process: other tests register throwaway routes here.
    apim = json.loads((ROOT / "infra" / "openapi.json").read_text(encoding="utf-8"))
    doc = {"paths": {"/api" + path: item for path, item in apim["paths"].items()}}
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    reference = text.split(gen_api_docs.MARKER, 1)[1]
    sections = dict(re.findall(r"#### `([A-Z]+ \S+)`\n(.*?)(?=\n#### |\Z)", reference, re.S))
    for path, item in doc["paths"].items():
        for method in gen_api_docs.METHODS:
            if method in item:
                key = f"{method.upper()} {path}"
                assert key in sections, f"{key} has no section in docs/api.md"
                assert "curl -X " + method.upper() in sections[key], f"{key} has no example"


def test_the_guide_covers_what_a_client_needs_first() -> None:
    guide = (ROOT / "docs" / "api.md").read_text(encoding="utf-8").split(gen_api_docs.MARKER, 1)[0]
    for heading in (
        "## Authentication",
        "## Errors",
        "## Paging",
        "## Concurrency and idempotency",
        "## Paying in",
    ):
        assert heading in guide, heading
    assert "4242 4242 4242 4242" in guide and "Idempotency-Key" in guide


def test_examples_are_built_from_the_schema() -> None:
    ex = gen_api_docs._Examples(
        {
            "components": {
                "schemas": {
                    "Line": {
                        "type": "object",
                        "properties": {
                            "sku": {"type": "string"},
                            "quantity": {"type": "integer", "minimum": 1},
                            "note": {"type": "string"},
                        },
                        "required": ["sku", "quantity"],
                    }
                }
            }
        }
    )
    value = ex.value(
        {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}}},
            "required": ["items"],
        }
    )
    assert value == {"items": [{"sku": "SKU-RED-M", "quantity": 1}]}
