"""The `world` fixture (real orders through the orders context's harness) for the fraud-label and
fraud-monitoring tests, which moved here with the code they test (shared/orders/fraud_*.py)."""

from tests.unit.fraud.orders_world import world

__all__ = ["world"]
