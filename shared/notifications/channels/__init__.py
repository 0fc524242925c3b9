"""Notification channels behind one port (`port.NotificationChannel`); `factory.channels_for`
picks the adapters from settings."""
