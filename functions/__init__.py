"""HTTP, Service Bus and timer triggers: one blueprint per bounded context, thin triggers only."""
