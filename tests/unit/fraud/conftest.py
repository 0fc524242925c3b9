"""The `world` fixture (real orders through the orders context's harness) for the fraud tests."""

from tests.unit.fraud.orders_world import world

__all__ = ["world"]
