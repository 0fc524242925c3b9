"""Durable Functions orchestrators and their activities."""
