"""The Functions app: wiring only. One blueprint per bounded context; no logic here."""

import azure.durable_functions as df
import azure.functions as func

from functions import (
    catalog,
    experiments,
    fraud,
    fraud_monitoring,
    inventory,
    inventory_analytics,
    notifications,
    ops,
    orders,
    payments,
    pricing,
    recommendations,
    sales,
    search,
    users,
)
from functions import models as model_api
from functions import outbox as outbox_relay
from orchestrations import (
    forecast_refresh,
    model_retraining,
    order_activities,
    order_workflow,
    price_approval,
)
from shared.settings import refuse_bad_settings_at_start

# Bad settings (a production setting missing, a Key Vault reference left unresolved) fail here, at
# indexing: Azure then reports the error and loads nothing, rather than 500s from the first request.
refuse_bad_settings_at_start()

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

# Auth is a JWT bearer checked in shared.http.auth (API Management in front in Azure), so HTTP functions
# are anonymous at the Functions key level.
app.register_functions(ops.bp)
app.register_functions(fraud.bp)
app.register_functions(payments.bp)
app.register_functions(model_api.bp)
app.register_functions(model_retraining.bp)
app.register_functions(catalog.bp)
app.register_functions(inventory.bp)
app.register_functions(users.bp)
app.register_functions(notifications.bp)
app.register_functions(orders.bp)
app.register_functions(order_workflow.bp)
app.register_functions(order_activities.bp)
app.register_functions(outbox_relay.bp)
app.register_functions(fraud_monitoring.bp)
app.register_functions(sales.bp)
app.register_functions(pricing.bp)
app.register_functions(price_approval.bp)
app.register_functions(inventory_analytics.bp)
app.register_functions(forecast_refresh.bp)
app.register_functions(recommendations.bp)
app.register_functions(experiments.bp)
app.register_functions(search.bp)
