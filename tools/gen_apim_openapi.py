"""Generate infra/openapi.json, the OpenAPI document API Management imports (infra/modules/apim.bicep).

    .venv/bin/python -m tools.gen_apim_openapi          # rewrite infra/openapi.json
    .venv/bin/python -m tools.gen_apim_openapi --check  # exit 1 if the committed file is stale

It is the app's own `/api/openapi.json` as production serves it (development-only routes left out),
with the `/api` route prefix moved to the API's URL suffix: APIM's `path: 'api'` and `serviceUrl`
`https://<app>/api` add it back. Committed rather than fetched from the app at deployment time,
because `azd up` provisions before it deploys the code: the app has no document to give yet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "infra" / "openapi.json"
PREFIX = "/api"


def document() -> dict[str, Any]:
    import function_app  # noqa: F401 - registers every route
    from shared.http.openapi import build_openapi, routes

    doc = build_openapi([info for info in routes() if not info.dev_only])
    paths = {}
    for path, item in doc["paths"].items():
        assert path.startswith(PREFIX + "/"), path
        paths[path.removeprefix(PREFIX)] = item
    return {**doc, "paths": paths}


def render() -> str:
    # Compact: Bicep's loadTextContent reads at most 131,072 characters (indented it is ~100 KB).
    return json.dumps(document(), separators=(",", ":"), sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC.relative_to(ROOT)} is stale: run python -m tools.gen_apim_openapi", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
