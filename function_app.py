"""The Functions app: wiring only. One blueprint per bounded context; no logic here."""

import azure.durable_functions as df
import azure.functions as func

from functions import ops

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

# Auth is a JWT bearer checked in shared.auth (API Management in front in Azure), so HTTP functions
# are anonymous at the Functions key level.
app.register_functions(ops.bp)
