"""An app the Azure Functions Python worker refuses to load (devhost must refuse it too).

`broken_activity` has the annotation Azure refused in issue 19 (a parameterized builtin on a
binding); `unbound_parameter` takes a parameter no binding provides. `ping` alone would load. The
annotations are the point of this file: do not "fix" them.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping", methods=["GET"])
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")


@app.activity_trigger(input_name="payload")
def broken_activity(payload: dict[str, Any]) -> dict[str, Any]:
    return payload


@app.route(route="unbound", methods=["GET"])
def unbound_parameter(req: func.HttpRequest, extra: str) -> func.HttpResponse:
    return func.HttpResponse(extra)
