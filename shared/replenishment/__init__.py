"""Inventory analytics: per-sku demand forecasts, safety stock, reorder point and order quantity.

Forecasts are fitted by the daily `forecast_refresh` orchestration's activities (statsforecast,
pandas: `refresh.py`, imported there only) and stored as documents; the routes read those and do
the reorder maths against the current stock levels (numpy + stdlib, `service.py`).
"""
