"""Inventory bounded context: stock per sku, adjustments, reservations per order."""
