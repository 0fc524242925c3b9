"""Notifications: templates, channels, delivery tracking and real-time order status (issue 8)."""
