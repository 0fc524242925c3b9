"""SmartCommerce core: settings, the HTTP edge, events, ports and adapters, bounded contexts."""
