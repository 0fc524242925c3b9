"""devhost: the local Functions host (HTTP, local Service Bus, timers, durable engine)."""
