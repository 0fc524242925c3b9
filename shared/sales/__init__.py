"""Sales history: daily units and realized price per sku, from order events and admin imports.

The pricing context (demand model, recommendations) and inventory analytics (forecasts, reorder
advice) read it through `shared.sales.ports.SalesLedger`; only this package writes it.
"""
